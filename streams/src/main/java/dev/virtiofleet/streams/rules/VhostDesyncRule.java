package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Vhost desync: a running vhost backend was acked a feature the guest did not ack, so backend and
 * guest disagree on the ring format or the header layout. Two kinds of bit are legitimately in
 * acked-features without a guest ack and are not counted: the backend's own backend-features
 * (QEMU's vhost-net puts VHOST_NET_F_VIRTIO_NET_HDR there for a tap without vnet headers) and the
 * vhost protocol bits VHOST_F_LOG_ALL and VHOST_USER_F_PROTOCOL_FEATURES.
 */
public final class VhostDesyncRule implements DeviceRule {
    private static final Set<String> VHOST_PROTOCOL_BITS = Set.of("VHOST_F_LOG_ALL", "VHOST_USER_F_PROTOCOL_FEATURES");

    @Override
    public AlertKind kind() {
        return AlertKind.VHOST_DESYNC;
    }

    @Override
    public Verdict evaluate(DeviceSnapshot device, DeviceStatusView status) {
        if (status.vhost().isEmpty()) {
            return Verdict.CLEAR;
        }
        DeviceStatusView.VhostFeatures vhost = status.vhost().get();
        FeatureSet beyondGuest = vhost.acked().minus(status.guestFeatures()).minus(vhost.backend());
        var symbols = new LinkedHashSet<>(beyondGuest.symbols());
        symbols.removeAll(VHOST_PROTOCOL_BITS);
        FeatureSet extra = new FeatureSet(symbols, beyondGuest.unknownBits(), List.of());
        if (extra.isEmpty()) {
            return Verdict.CLEAR;
        }
        return Verdict.holds(new Finding("vhost backend acked features the guest did not: " + FeatureDiff.describe(extra),
                FeatureDiff.mark(extra), Map.of(), FeatureDiff.details("vhost-acked-not-guest", extra)));
    }
}
