package dev.virtiofleet.streams.drift;

import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.streams.observe.SampleRef;
import java.util.Optional;

/**
 * A device's host features as its group needs to know them: sent when they are first seen, when
 * they change, and (empty) when the device leaves. Only changes travel, so the fleet-wide drift
 * judgement costs nothing per sample.
 *
 * @param device the device, with its group
 * @param ref the sample that showed it
 * @param hostFeatures the features the device offers; empty when the device is gone
 */
public record FeatureReport(DeviceIdentity device, SampleRef ref, Optional<FeatureSet> hostFeatures) {

    /** The key drift is judged under: devices of one model within one group. */
    public Optional<String> groupKey() {
        return device.group().map(group -> group + "/" + device.deviceName());
    }
}
