package dev.virtiofleet.qapi.features;

import java.util.List;

/**
 * A bitmap split the way QEMU's QMP decoding splits it, each list in QEMU's emission order.
 *
 * @param transports named transport features ({@code transports}); empty for status and protocol words
 * @param device named device features ({@code dev-features}), or for a status byte the named
 *     statuses, or for a vhost-user protocol word the named protocol features
 * @param unknownBits the bits no table named ({@code unknown-dev-features}, {@code unknown-statuses},
 *     {@code unknown-protocols}); QEMU omits the field when this is 0
 */
public record DecodedBits(List<FeatureBit> transports, List<FeatureBit> device, long unknownBits) {

    public DecodedBits {
        transports = List.copyOf(transports);
        device = List.copyOf(device);
    }

    public List<String> transportTexts() {
        return transports.stream().map(FeatureBit::qmpText).toList();
    }

    public List<String> deviceTexts() {
        return device.stream().map(FeatureBit::qmpText).toList();
    }
}
