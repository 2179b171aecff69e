package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import java.util.Map;

/** Feature violation: the guest acked features the device did not offer, named or unknown bits. */
public final class FeatureViolationRule implements DeviceRule {

    @Override
    public AlertKind kind() {
        return AlertKind.FEATURE_VIOLATION;
    }

    @Override
    public Verdict evaluate(DeviceSnapshot device, DeviceStatusView status) {
        FeatureSet extra = status.guestFeatures().minus(status.hostFeatures());
        if (extra.isEmpty()) {
            return Verdict.CLEAR;
        }
        return Verdict.holds(new Finding("guest acked features the device does not offer: " + FeatureDiff.describe(extra),
                FeatureDiff.mark(extra), Map.of(), FeatureDiff.details("guest-not-offered", extra)));
    }
}
