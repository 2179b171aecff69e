package dev.virtiofleet.qapi.features;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedSet;

/**
 * Features (or status bits, or protocol features) reduced to stable symbols: QEMU's text {@code
 * "VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)"} becomes {@code VIRTIO_F_VERSION_1}.
 * Bits QEMU has no name for stay a number, and entries that yield no symbol are kept verbatim in
 * {@link #unparseable()} rather than dropped or fatal.
 *
 * @param symbols the named features, in the order QEMU listed them
 * @param unknownBits bits without a name, as an unsigned 64-bit mask
 * @param unparseable entries that were not of the form {@code SYMBOL[: description]}
 */
public record FeatureSet(SequencedSet<String> symbols, long unknownBits, List<String> unparseable) {


    public static final FeatureSet EMPTY = new FeatureSet(new LinkedHashSet<>(), 0, List.of());

    public FeatureSet {
        symbols = Collections.unmodifiableSequencedSet(new LinkedHashSet<>(symbols));
        unparseable = List.copyOf(unparseable);
    }

    /** Parses QEMU's entries (any number of lists, e.g. transports then dev-features). */
    @SafeVarargs
    public static FeatureSet parse(long unknownBits, Collection<String>... entryLists) {
        SequencedSet<String> symbols = new LinkedHashSet<>();
        List<String> unparseable = new ArrayList<>();
        for (Collection<String> entries : entryLists) {
            for (String entry : entries) {
                symbolOf(entry).ifPresentOrElse(symbols::add, () -> unparseable.add(entry));
            }
        }
        return new FeatureSet(symbols, unknownBits, unparseable);
    }

    /** The symbol of one entry: the text before the first colon, if it is an identifier. */
    public static Optional<String> symbolOf(String entry) {
        if (entry == null) {
            return Optional.empty();
        }
        int colon = entry.indexOf(':');
        String candidate = (colon < 0 ? entry : entry.substring(0, colon)).strip();
        return isIdentifier(candidate) ? Optional.of(candidate) : Optional.empty();
    }

    // [A-Za-z_][A-Za-z0-9_]*, by hand: every sample parses dozens of these, and a regex cost the agent ~10 % of its CPU.
    private static boolean isIdentifier(String candidate) {
        if (candidate.isEmpty()) {
            return false;
        }
        for (int i = 0; i < candidate.length(); i++) {
            char c = candidate.charAt(i);
            boolean letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
            if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
                return false;
            }
        }
        return true;
    }

    public boolean contains(String symbol) {
        return symbols.contains(symbol);
    }

    /** What this set has that {@code other} lacks: symbols and unknown bits both. */
    public FeatureSet minus(FeatureSet other) {
        SequencedSet<String> extra = new LinkedHashSet<>(symbols);
        extra.removeAll(other.symbols);
        return new FeatureSet(extra, unknownBits & ~other.unknownBits, List.of());
    }

    public boolean isSubsetOf(FeatureSet other) {
        return minus(other).isEmpty();
    }

    public boolean isEmpty() {
        return symbols.isEmpty() && unknownBits == 0 && unparseable.isEmpty();
    }
}
