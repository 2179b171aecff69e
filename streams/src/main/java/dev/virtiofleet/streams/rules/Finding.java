package dev.virtiofleet.streams.rules;

import java.util.Map;

/**
 * A rule's verdict that its condition holds in one sample.
 *
 * @param observation what was seen, in words
 * @param mark the value that must stay the same for the condition to keep holding: the frozen
 *     used-idx of a stall, for one. A different mark means the situation moved on, and the clock
 *     that counts toward the threshold starts again.
 * @param values numbers seen, by QAPI member name
 * @param details other facts
 */
public record Finding(String observation, long mark, Map<String, Long> values, Map<String, String> details) {
    public Finding {
        values = Map.copyOf(values);
        details = Map.copyOf(details);
    }
}
