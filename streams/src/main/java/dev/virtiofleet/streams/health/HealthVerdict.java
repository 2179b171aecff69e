package dev.virtiofleet.streams.health;

import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.Severity;
import java.util.Collection;

/** The overall verdict on a device. */
public final class HealthVerdict {
    private HealthVerdict() {}

    /**
     * Firing alerts decide first (a paused VM with a broken device is still critical), then a
     * paused VM (not judged), then whether anything is known at all.
     *
     * @param firing severities of the alerts firing for the device
     * @param vmRunning whether its VM runs
     * @param statusKnown whether a device status has been read
     */
    public static HealthState of(Collection<Severity> firing, boolean vmRunning, boolean statusKnown) {
        if (firing.contains(Severity.CRITICAL)) {
            return HealthState.CRITICAL;
        }
        if (!firing.isEmpty()) {
            return HealthState.DEGRADED;
        }
        if (!vmRunning) {
            return HealthState.PAUSED;
        }
        return statusKnown ? HealthState.HEALTHY : HealthState.UNKNOWN;
    }
}
