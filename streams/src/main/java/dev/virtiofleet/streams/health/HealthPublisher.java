package dev.virtiofleet.streams.health;

import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.PublishedHealth;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import java.time.Duration;
import java.util.Optional;

/**
 * When a device's health record goes to the health topic: on its first sample, whenever the
 * record's content changes (see {@link HealthBuilder}), and otherwise again once {@code refreshAfter}
 * of sample time has passed since the last one, so that a reader of the compacted topic sees each
 * live device's record renewed (its {@code updatedAt} and ring positions at most that old). A zero
 * {@code refreshAfter} publishes every sample. Tombstones are not decided here: a device that goes
 * always gets one.
 */
public final class HealthPublisher {
    private final Duration refreshAfter;

    public HealthPublisher(Duration refreshAfter) {
        if (refreshAfter.isNegative()) {
            throw new IllegalArgumentException("refreshAfter " + refreshAfter + " is negative");
        }
        this.refreshAfter = refreshAfter;
    }

    /**
     * What to publish after a sample.
     *
     * @param state the device state to keep: with the published record remembered when there is one
     * @param publish the record to publish, if one is due
     */
    public record Decision(DeviceState state, Optional<DeviceHealth> publish) {}

    public Decision decide(DeviceState state, DeviceSnapshot now) {
        long digest = HealthBuilder.digest(state, now);
        Optional<PublishedHealth> last = state.healthPublished();
        boolean due = last.isEmpty() || last.get().digest() != digest
                || !now.ref().eventTime().isBefore(last.get().at().plus(refreshAfter));
        if (!due) {
            return new Decision(state, Optional.empty());
        }
        return new Decision(state.withHealthPublished(new PublishedHealth(digest, now.ref().eventTime())),
                Optional.of(HealthBuilder.of(state, now)));
    }
}
