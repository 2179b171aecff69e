package dev.virtiofleet.sim.workload;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that moves only when told: deterministic simulator tests. Thread-safe. */
public final class ManualClock implements InstantSource {
    private final AtomicReference<Instant> now;

    public ManualClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    public void advance(Duration step) {
        if (step.isNegative()) {
            throw new IllegalArgumentException("time only moves forward, got step " + step);
        }
        now.updateAndGet(t -> t.plus(step));
    }
}
