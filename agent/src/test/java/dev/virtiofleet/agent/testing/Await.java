package dev.virtiofleet.agent.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition in tests: the bound is only against hanging forever; what a test proves it asserts. */
public final class Await {
    private static final Duration GIVE_UP = Duration.ofSeconds(60);

    private Await() {}

    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long giveUp = System.nanoTime() + GIVE_UP.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("gave up after " + GIVE_UP + " waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }
}
