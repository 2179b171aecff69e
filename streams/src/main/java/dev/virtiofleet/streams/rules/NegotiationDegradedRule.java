package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Negotiation degraded: a DRIVER_OK device whose guest features lack a feature the fleet requires
 * (by default VIRTIO_F_VERSION_1: a legacy driver). The evidence says whether the device offered
 * it, which tells a driver problem from a device configuration problem.
 */
public final class NegotiationDegradedRule implements DeviceRule {
    private final List<String> required;

    public NegotiationDegradedRule(Set<String> required) {
        this.required = required.stream().sorted().toList();
    }

    @Override
    public AlertKind kind() {
        return AlertKind.NEGOTIATION_DEGRADED;
    }

    @Override
    public Verdict evaluate(DeviceSnapshot device, DeviceStatusView status) {
        if (!status.driverOk()) {
            return Verdict.CLEAR;
        }
        boolean allNegotiated = true;
        for (String symbol : required) {
            allNegotiated &= status.guestFeatures().contains(symbol);
        }
        if (allNegotiated) {
            return Verdict.CLEAR;
        }
        List<String> missing = required.stream().filter(symbol -> !status.guestFeatures().contains(symbol)).toList();
        List<String> notOffered = missing.stream().filter(symbol -> !status.hostFeatures().contains(symbol)).toList();
        return Verdict.holds(new Finding("required feature(s) not negotiated: " + String.join(", ", missing),
                missing.hashCode(), Map.of(),
                Map.of("missing", String.join(",", missing), "not-offered-by-device", String.join(",", notOffered))));
    }
}
