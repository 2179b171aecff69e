package dev.virtiofleet.streams.detect;

import dev.virtiofleet.streams.alerts.Observation;

/**
 * A rule condition that holds and counts toward its threshold.
 *
 * @param mark the rule's mark while the condition has held (a different mark restarts the clock)
 * @param first the first sample showing it
 * @param heldMillis how long it has held, in the time the rule counts
 * @param samples how many samples showed it
 */
public record Pending(long mark, Observation first, long heldMillis, int samples) {

    Pending advanced(long creditMillis) {
        return new Pending(mark, first, heldMillis + creditMillis, samples + 1);
    }
}
