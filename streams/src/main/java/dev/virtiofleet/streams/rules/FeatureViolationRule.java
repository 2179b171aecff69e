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
        FeatureSet guest = status.guestFeatures();
        FeatureSet host = status.hostFeatures();
        if ((guest.unknownBits() & ~host.unknownBits()) == 0 && host.symbols().containsAll(guest.symbols())) {
            // The usual case, decided without building the difference.
            return Verdict.CLEAR;
        }
        FeatureSet extra = guest.minus(host);
        if (extra.isEmpty()) {
            return Verdict.CLEAR;
        }
        return Verdict.holds(new Finding("guest acked features the device does not offer: " + FeatureDiff.describe(extra),
                FeatureDiff.mark(extra), Map.of(), FeatureDiff.details("guest-not-offered", extra)));
    }
}
