package dev.virtiofleet.streams.detect;

import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.streams.observe.SampleRef;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything detection keeps per device between samples.
 *
 * @param identity who the device is (latest names)
 * @param epoch incremented whenever the device was reset or set up again; queue clocks of an older
 *     epoch never carry over
 * @param lastSample the latest sample processed
 * @param vmRunning whether the VM ran at the latest sample
 * @param driverOk DRIVER_OK at the latest sample that had a status
 * @param numVqs queue count at the latest sample that had a status (-1 before the first)
 * @param hostFeaturesDigest digest of the host features last reported to the group (0 before the first)
 * @param queues per queue, what the latest sample showed
 * @param pending conditions counting toward their thresholds
 * @param episodes alerts firing
 * @param healthPublished the device's latest record on the health topic; empty before the first
 */
public record DeviceState(
        DeviceIdentity identity,
        int epoch,
        SampleRef lastSample,
        boolean vmRunning,
        boolean driverOk,
        long numVqs,
        long hostFeaturesDigest,
        Map<Integer, QueueMark> queues,
        Map<AlertKey, Pending> pending,
        Map<AlertKey, Episode> episodes,
        Optional<PublishedHealth> healthPublished) {

    public DeviceState {
        // Map.copyOf keeps a map that is already immutable (the codec builds them so); episodes, which
        // a healthy device has none of, need no tree. Each sample makes two or three states.
        queues = Map.copyOf(queues);
        pending = Map.copyOf(pending);
        episodes = episodes.isEmpty() ? Collections.emptySortedMap() : Collections.unmodifiableSortedMap(new TreeMap<>(episodes));
    }

    /** This state, with {@code published} as the device's latest record on the health topic. */
    public DeviceState withHealthPublished(PublishedHealth published) {
        return new DeviceState(identity, epoch, lastSample, vmRunning, driverOk, numVqs, hostFeaturesDigest, queues, pending, episodes,
                Optional.of(published));
    }
}
