package dev.virtiofleet.streams.drift;

import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.TreeSet;

/** A feature set in a canonical text form, so that sets listed in different orders compare equal. */
public final class Signature {
    private Signature() {}

    public static String of(FeatureSet features) {
        return String.join(",", new TreeSet<>(features.symbols())) + "|0x" + Long.toHexString(features.unknownBits());
    }
}
