package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.time.Duration;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a source for the current monitors every interval and hands the full set on (to the
 * scheduler's reconcile), so new sockets are picked up and vanished ones dropped within one interval.
 */
public final class DiscoveryLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DiscoveryLoop.class);

    private final EndpointSource source;
    private final Consumer<Set<QmpEndpoint>> target;
    private final Duration interval;
    private final Thread thread;

    public DiscoveryLoop(EndpointSource source, Consumer<Set<QmpEndpoint>> target, Duration interval) {
        this.source = source;
        this.target = target;
        this.interval = interval;
        this.thread = Thread.ofVirtual().name("discovery").unstarted(this::loop);
    }

    public DiscoveryLoop start() {
        thread.start();
        return this;
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    target.accept(source.discover());
                } catch (RuntimeException e) {
                    LOG.error("discovery failed; keeping the monitors already known", e);
                }
                Thread.sleep(interval);
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
