package dev.virtiofleet.streams.observe;

import dev.virtiofleet.avro.detection.DetectedFeatures;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link FeatureSet} of an Avro feature word, made once per distinct word. A fleet shows few
 * distinct feature words (per device model and configuration), while every sample carries two to
 * four of them; building a set per sample was a good part of reading one. The memo is shared by the
 * stream threads and starts afresh if it ever holds {@value #LIMIT} words. The sets it hands out
 * are immutable, so sharing one between samples changes nothing.
 */
final class FeatureSets {
    static final int LIMIT = 4096;

    private static final Map<Word, FeatureSet> MEMO = new ConcurrentHashMap<>();

    private FeatureSets() {}

    static FeatureSet of(DetectedFeatures features) {
        Word word = new Word(features.getTransports(), features.getDevFeatures(),
                Optional.ofNullable(features.getUnknownDevFeatures()).orElse(0L), features.getUnparseable());
        FeatureSet known = MEMO.get(word);
        if (known != null) {
            return known;
        }
        FeatureSet made = build(word);
        if (MEMO.size() >= LIMIT) {
            MEMO.clear();
        }
        MEMO.put(word.copy(), made);
        return made;
    }

    /** The transport and device symbols in order, the unknown bits, the unparseable entries. */
    private static FeatureSet build(Word word) {
        var symbols = new LinkedHashSet<>(word.transports());
        if (word.devFeatures() != null) {
            symbols.addAll(word.devFeatures());
        }
        return new FeatureSet(symbols, word.unknown(), word.unparseable());
    }

    /** An Avro feature word as a memo key; a looked-up word refers to the sample's lists, a stored one to copies. */
    private record Word(List<String> transports, List<String> devFeatures, long unknown, List<String> unparseable) {
        Word copy() {
            return new Word(List.copyOf(transports), devFeatures == null ? null : List.copyOf(devFeatures), unknown,
                    List.copyOf(unparseable));
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Word word && unknown == word.unknown && same(transports, word.transports)
                    && same(devFeatures, word.devFeatures) && same(unparseable, word.unparseable);
        }

        @Override
        public int hashCode() {
            return ((hash(transports) * 31 + hash(devFeatures)) * 31 + Long.hashCode(unknown)) * 31 + hash(unparseable);
        }

        /** Element by element, whatever list classes the two are (Avro's own, or an immutable copy). */
        private static boolean same(List<String> a, List<String> b) {
            if (a == null || b == null) {
                return a == b;
            }
            int size = a.size();
            if (size != b.size()) {
                return false;
            }
            for (int i = 0; i < size; i++) {
                if (!a.get(i).equals(b.get(i))) {
                    return false;
                }
            }
            return true;
        }

        private static int hash(List<String> list) {
            if (list == null) {
                return -1;
            }
            int hash = 1;
            for (int i = 0, size = list.size(); i < size; i++) {
                hash = 31 * hash + list.get(i).hashCode();
            }
            return hash;
        }
    }

    /** For tests: how many distinct words are remembered. */
    static int size() {
        return MEMO.size();
    }
}
