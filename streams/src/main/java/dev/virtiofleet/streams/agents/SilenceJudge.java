package dev.virtiofleet.streams.agents;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.alerts.AlertFactory;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.config.RuleSettings;
import dev.virtiofleet.streams.observe.SampleRef;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Agent silent: no heartbeat from a host for a configured number of its poll intervals, on this
 * application's wall clock (event time cannot advance for a host that sends nothing). Judged on
 * heartbeats alone: the agent heartbeats on its own schedule whether or not it has VMs to sample,
 * and following samples too would mean repartitioning every sample by host.
 *
 * <p>Silence is counted only over time this application was judging without a break: after a
 * restart, a rebalance or a stall of its own (GC, CPU starvation), heartbeats that arrived
 * meanwhile are still waiting in the topic, and blaming every agent at once for our own gap would
 * be an alert storm with the wrong subject. So the quiet time of an agent starts at its last
 * heartbeat or at {@code judgingSince}, whichever is later.
 */
public final class SilenceJudge {
    private final RuleSettings settings;
    private final int pollIntervals;

    public SilenceJudge(RuleSettings settings, int pollIntervals) {
        this.settings = settings;
        this.pollIntervals = pollIntervals;
    }

    public record Judged(AgentLiveness liveness, List<VirtioAlert> alerts) {}

    /** A heartbeat arrived: the agent is alive, and a silence episode ends. */
    public Judged heartbeat(Optional<AgentLiveness> prior, AgentHeartbeat heartbeat, Instant wallNow) {
        AgentLiveness next = new AgentLiveness(heartbeat.getHostId(), heartbeat.getAgentRunId(), heartbeat.getLastSampleSequence(),
                heartbeat.getEventTime(), wallNow, heartbeat.getPollIntervalMs(), Optional.empty());
        Optional<Episode> silence = prior.flatMap(AgentLiveness::silence);
        if (silence.isEmpty()) {
            return new Judged(next, List.of());
        }
        Observation end = new Observation(ref(next, heartbeat.getEventTime()), "heartbeat received", Map.of(), Map.of());
        return new Judged(next, List.of(AlertFactory.resolved(AlertKind.AGENT_SILENT, AlertFactory.Subject.host(next.hostId()),
                silence.get(), end, heartbeat.getEventTime())));
    }

    /**
     * The wall clock moved on: an agent quiet for too long starts a silence episode.
     *
     * @param judgingSince since when this application has been judging without a break
     */
    public Optional<Judged> tick(AgentLiveness liveness, Instant wallNow, Instant judgingSince) {
        if (!settings.enabled() || liveness.silence().isPresent()) {
            return Optional.empty();
        }
        Instant quietSince = liveness.receivedAt().isAfter(judgingSince) ? liveness.receivedAt() : judgingSince;
        Duration quiet = Duration.between(quietSince, wallNow);
        if (quiet.compareTo(threshold(liveness)) < 0) {
            return Optional.empty();
        }
        AlertFactory.Subject subject = AlertFactory.Subject.host(liveness.hostId());
        Observation last = new Observation(ref(liveness, liveness.heartbeatTime()), "last heartbeat",
                Map.of("poll-interval-ms", liveness.pollIntervalMs()), Map.of());
        Observation silent = new Observation(ref(liveness, wallNow), "no heartbeat for " + quiet.toSeconds() + " s ("
                + pollIntervals + " poll intervals of " + liveness.pollIntervalMs() + " ms allowed)",
                Map.of("silent-ms", quiet.toMillis()), Map.of());
        Episode episode = new Episode(AlertFactory.alertId(AlertKind.AGENT_SILENT, subject, liveness.heartbeatTime()),
                settings.severity(), last, silent, Optional.empty());
        AgentLiveness next = new AgentLiveness(liveness.hostId(), liveness.agentRunId(), liveness.lastSampleSequence(),
                liveness.heartbeatTime(), liveness.receivedAt(), liveness.pollIntervalMs(), Optional.of(episode));
        return Optional.of(new Judged(next, List.of(AlertFactory.firing(AlertKind.AGENT_SILENT, subject, episode))));
    }

    private Duration threshold(AgentLiveness liveness) {
        Duration byPolls = Duration.ofMillis(liveness.pollIntervalMs()).multipliedBy(pollIntervals);
        Duration floor = settings.fireAfter();
        return byPolls.compareTo(floor) >= 0 ? byPolls : floor;
    }

    private static SampleRef ref(AgentLiveness liveness, Instant time) {
        return new SampleRef(time, liveness.agentRunId(), liveness.lastSampleSequence());
    }
}
