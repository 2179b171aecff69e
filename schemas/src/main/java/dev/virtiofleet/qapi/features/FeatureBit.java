package dev.virtiofleet.qapi.features;

import java.util.Objects;

/**
 * One named bit of a virtio feature word, status byte or vhost-user protocol word, with the text
 * QEMU emits for it.
 *
 * @param bit bit number, 0..63 (status bits use 0..7)
 * @param symbol the name QEMU prints before {@code ": "}, spelled exactly as QEMU spells it
 * @param description the text QEMU prints after {@code ": "}
 */
public record FeatureBit(int bit, String symbol, String description) {

    public FeatureBit {
        if (bit < 0 || bit > 63) {
            throw new IllegalArgumentException("feature bit out of range 0..63: " + bit);
        }
        Objects.requireNonNull(symbol, "symbol");
        Objects.requireNonNull(description, "description");
        if (symbol.isBlank()) {
            throw new IllegalArgumentException("blank feature symbol for bit " + bit);
        }
    }

    /** The single-bit mask, for OR-ing into a feature word. */
    public long mask() {
        return 1L << bit;
    }

    /** The entry exactly as QEMU lists it in {@code transports}, {@code dev-features}, {@code statuses}. */
    public String qmpText() {
        return symbol + ": " + description;
    }
}
