package dev.virtiofleet.agent.schedule;

import java.time.Duration;
import java.util.Optional;

/**
 * Counts a VM's consecutive timed-out sweeps. Past the threshold the circuit is open: the VM is
 * left alone for a backoff that doubles with every further timeout, then tried once more.
 */
final class CircuitBreaker {
    private final int timeoutsToOpen;
    private final Backoff backoff;
    private int consecutiveTimeouts;

    CircuitBreaker(int timeoutsToOpen, Backoff backoff) {
        this.timeoutsToOpen = timeoutsToOpen;
        this.backoff = backoff;
    }

    void success() {
        consecutiveTimeouts = 0;
    }

    /** Records a timed-out sweep; the wait before the next one when the circuit is (now) open. */
    Optional<Duration> timeout() {
        consecutiveTimeouts++;
        return isOpen() ? Optional.of(backoff.delay(consecutiveTimeouts - timeoutsToOpen + 1)) : Optional.empty();
    }

    boolean isOpen() {
        return consecutiveTimeouts >= timeoutsToOpen;
    }

    int consecutiveTimeouts() {
        return consecutiveTimeouts;
    }
}
