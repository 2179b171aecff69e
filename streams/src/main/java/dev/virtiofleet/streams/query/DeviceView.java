package dev.virtiofleet.streams.query;

import dev.virtiofleet.avro.HealthState;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One device's health as the REST API shows it.
 *
 * @param key the device key (host/vm/path)
 * @param queues per queue, the latest used-idx and when it last moved
 * @param alerts the alerts firing for it
 */
public record DeviceView(String key, String hostId, String vm, String devicePath, String deviceName, Optional<String> group,
        HealthState state, boolean vmRunning, boolean driverOk, Instant lastSample, List<QueueProgress> queues,
        List<AlertView> alerts) {

    /** Progress of one queue. */
    public record QueueProgress(int index, Optional<Integer> usedIdx, Optional<Instant> lastProgress) {}
}
