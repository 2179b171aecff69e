package dev.virtiofleet.streams.rules;

import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.Map;
import java.util.TreeMap;

/** Evidence for a feature set that has what it should not: the symbols and the unknown bits. */
final class FeatureDiff {
    private FeatureDiff() {}

    static Map<String, String> details(String label, FeatureSet extra) {
        Map<String, String> details = new TreeMap<>();
        if (!extra.symbols().isEmpty()) {
            details.put(label, String.join(",", extra.symbols()));
        }
        if (extra.unknownBits() != 0) {
            details.put(label + "-unknown-bits", "0x" + Long.toHexString(extra.unknownBits()));
        }
        return details;
    }

    /** A stable number for the difference, so that a changed difference starts a new clock. */
    static long mark(FeatureSet extra) {
        return extra.symbols().hashCode() * 31L + extra.unknownBits();
    }

    static String describe(FeatureSet extra) {
        StringBuilder text = new StringBuilder(String.join(", ", extra.symbols()));
        if (extra.unknownBits() != 0) {
            text.append(text.isEmpty() ? "" : ", ").append("unknown bits 0x").append(Long.toHexString(extra.unknownBits()));
        }
        return text.toString();
    }
}
