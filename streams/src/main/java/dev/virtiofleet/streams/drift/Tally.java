package dev.virtiofleet.streams.drift;

import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * How many devices of one model in one group offer each distinct host feature set.
 *
 * @param counts devices per signature
 * @param sets the feature set of each signature
 */
public record Tally(Map<String, Integer> counts, Map<String, FeatureSet> sets) {
    public static final Tally EMPTY = new Tally(Map.of(), Map.of());

    public Tally {
        counts = Map.copyOf(counts);
        sets = Map.copyOf(sets);
    }

    public Tally with(String signature, FeatureSet features) {
        Map<String, Integer> newCounts = new HashMap<>(counts);
        newCounts.merge(signature, 1, Integer::sum);
        Map<String, FeatureSet> newSets = new HashMap<>(sets);
        newSets.put(signature, features);
        return new Tally(newCounts, newSets);
    }

    public Tally without(String signature) {
        Map<String, Integer> newCounts = new HashMap<>(counts);
        Map<String, FeatureSet> newSets = new HashMap<>(sets);
        if (newCounts.merge(signature, -1, Integer::sum) <= 0) {
            newCounts.remove(signature);
            newSets.remove(signature);
        }
        return new Tally(newCounts, newSets);
    }

    public int devices() {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * The prevailing signature: held by more devices than any other, and by at least two. A tie,
     * or a group where every device differs, has no prevailing set and so no drift: which side is
     * the odd one out is then a guess.
     */
    public Optional<String> prevailing() {
        String best = null;
        int bestCount = 0;
        boolean tie = false;
        for (Map.Entry<String, Integer> entry : counts.entrySet()) {
            if (entry.getValue() > bestCount) {
                best = entry.getKey();
                bestCount = entry.getValue();
                tie = false;
            } else if (entry.getValue() == bestCount) {
                tie = true;
            }
        }
        return bestCount >= 2 && !tie ? Optional.of(best) : Optional.empty();
    }
}
