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

    /** As {@link #of(Collection, boolean, boolean)}, from counts of the firing alerts: {@code critical} of {@code firing} are CRITICAL. */
    public static HealthState of(int critical, int firing, boolean vmRunning, boolean statusKnown) {
        if (critical > 0) {
            return HealthState.CRITICAL;
        }
        if (firing > 0) {
            return HealthState.DEGRADED;
        }
        if (!vmRunning) {
            return HealthState.PAUSED;
        }
        return statusKnown ? HealthState.HEALTHY : HealthState.UNKNOWN;
    }
}
