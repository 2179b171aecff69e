package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.agent.config.Require;
import java.time.Duration;
import java.util.Objects;

/** Exponential backoff: {@code initial}, doubling per attempt, never more than {@code max}. */
public record Backoff(Duration initial, Duration max) {

    public Backoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
    }

    /** Checks the values as configuration under {@code key} (e.g. {@code poll.reconnect-backoff}). */
    Backoff validate(String key) {
        Require.positive(key + ".initial", initial);
        Require.atLeast(key + ".max", max, initial);
        return this;
    }

    /** The delay before attempt {@code attempt} (1 = the first retry). */
    public Duration delay(int attempt) {
        int doublings = Math.min(Math.max(attempt - 1, 0), 30);
        Duration delay = initial.multipliedBy(1L << doublings);
        return delay.compareTo(max) > 0 ? max : delay;
    }
}
