package dev.virtiofleet.launcher;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs a long-lived command until SIGTERM/Ctrl-C or a set duration. On the signal the JVM's
 * shutdown waits (at most {@code grace}) until the command has closed what it started, so a
 * SIGTERM flushes and closes instead of cutting the command off mid-write. Open it before the
 * resources it guards, in the same try-with-resources: it closes after them.
 */
final class StopSignal implements AutoCloseable {
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    private StopSignal(String name, Duration grace) {
        this.hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(grace.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "virtio-fleet-" + name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static StopSignal install(String name, Duration grace) {
        return new StopSignal(name, grace);
    }

    /** Returns on the signal, or once {@code runFor} has passed. */
    void await(Optional<Duration> runFor) throws InterruptedException {
        if (runFor.isPresent()) {
            stop.await(runFor.get().toMillis(), TimeUnit.MILLISECONDS);
        } else {
            stop.await();
        }
    }

    /** Whether the signal came (as opposed to the duration running out). */
    boolean signalled() {
        return stop.getCount() == 0;
    }

    /** Lets a signal's shutdown proceed: what the command started is closed. */
    @Override
    public void close() {
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook is what ended the run.
        }
    }
}
