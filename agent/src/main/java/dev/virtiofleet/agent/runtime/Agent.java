package dev.virtiofleet.agent.runtime;

import dev.virtiofleet.agent.discovery.DiscoveryLoop;
import dev.virtiofleet.agent.metrics.AgentMetrics;
import dev.virtiofleet.agent.metrics.MetricsServer;
import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.publish.PublisherStats;
import dev.virtiofleet.agent.publish.SamplePublisher;
import dev.virtiofleet.agent.schedule.FleetScheduler;
import dev.virtiofleet.agent.schedule.VmStatus;
import dev.virtiofleet.avro.AgentHeartbeat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running agent: discovery feeds the scheduler, the scheduler's samples go to the publisher,
 * a heartbeat goes out every poll interval, and self-metrics are served on /metrics. {@link #close}
 * stops polling first, then lets the publisher deliver or spool what it holds.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** The key under which unsent heartbeats are reported in {@code droppedSamples} (the schema has no own field). */
    public static final String HEARTBEAT_NOT_SENT = "heartbeat-not-sent";

    private final AgentConfig config;
    private final String version;
    private final Clock clock;
    private final AgentMetrics metrics = new AgentMetrics();
    private final AgentRun run;
    private final SamplePublisher publisher;
    private final FleetScheduler scheduler;
    private final DiscoveryLoop discovery;
    private final HeartbeatSender heartbeats;
    private final Optional<MetricsServer> metricsServer;

    private Agent(AgentConfig config, String version, Clock clock) throws IOException {
        this.config = config;
        this.version = version;
        this.clock = clock;
        this.run = AgentRun.start(config.hostId(), metrics);
        this.metricsServer = config.metricsListen().isPresent()
                ? Optional.of(MetricsServer.start(config.metricsListen().get(), metrics.registry())) : Optional.empty();
        try {
            this.publisher = new SamplePublisher(config.publish());
        } catch (IOException | RuntimeException e) {
            closeMetrics();
            throw e;
        }
        this.scheduler = new FleetScheduler(config.poll(), config.qmp(), run, publisher, clock, RandomGenerator.getDefault());
        try {
            this.heartbeats = new HeartbeatSender(config.heartbeatTopic(), config.hostId(), config.poll().interval(),
                    config.publish().kafka(), this::heartbeat);
        } catch (RuntimeException e) {
            try {
                publisher.close();
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            } finally {
                closeMetrics();
            }
            throw e;
        }
        metrics.watch(scheduler::status, publisher::stats, () -> run.lastSequence() + 1, heartbeats::failed);
        this.discovery = new DiscoveryLoop(config.discovery().source(), scheduler::reconcile, config.poll().interval());
    }

    /** Starts everything; {@code version} is reported in heartbeats. */
    public static Agent start(AgentConfig config, String version) throws IOException {
        Agent agent = new Agent(config, version, Clock.systemUTC());
        agent.discovery.start();
        agent.heartbeats.start();
        LOG.info("agent {} on {} (run {}): polling every {}, samples to {}, heartbeats to {}{}", version, config.hostId(),
                agent.run.runId(), config.poll().interval(), config.publish().topic(), config.heartbeatTopic(),
                agent.metricsAddress().map(a -> ", metrics on http://" + a.getHostString() + ":" + a.getPort() + "/metrics").orElse(""));
        return agent;
    }

    /** Where /metrics is served, when enabled. */
    public Optional<InetSocketAddress> metricsAddress() {
        return metricsServer.map(MetricsServer::address);
    }

    /** Every known monitor's state now. */
    public java.util.List<VmStatus> vms() {
        return scheduler.status();
    }

    public PublisherStats publisherStats() {
        return publisher.stats();
    }

    /** The heartbeat as it would be sent now. */
    public AgentHeartbeat heartbeat() {
        PublisherStats stats = publisher.stats();
        Map<String, Long> dropped = new HashMap<>(stats.dropped());
        long heartbeatsNotSent = heartbeats.failed();
        if (heartbeatsNotSent > 0) {
            dropped.put(HEARTBEAT_NOT_SENT, heartbeatsNotSent);
        }
        return AgentHeartbeat.newBuilder()
                .setHostId(config.hostId())
                .setAgentRunId(run.runId())
                .setAgentVersion(version)
                .setEventTime(clock.instant())
                .setPollIntervalMs(config.poll().interval().toMillis())
                .setLastSampleSequence(run.lastSequence())
                .setVms(scheduler.status().stream().map(VmStatus::toReport).toList())
                .setOutcomes(run.outcomes().snapshot())
                .setBufferedSamples(stats.buffered())
                .setSpooledSamples(stats.spooled())
                .setSpoolBytes(stats.spoolBytes())
                .setDroppedSamples(dropped)
                .build();
    }

    private void closeMetrics() {
        metricsServer.ifPresent(MetricsServer::close);
        metrics.close();
    }

    /** Stops polling, delivers or spools every sample made, then stops heartbeats and metrics. */
    @Override
    public void close() throws IOException, InterruptedException {
        LOG.info("agent stopping: polling ends, held samples are delivered or spooled");
        discovery.close();
        scheduler.close();
        try {
            publisher.close();
        } finally {
            heartbeats.close();
            closeMetrics();
        }
        LOG.info("agent stopped after {} samples", run.lastSequence() + 1);
    }
}
