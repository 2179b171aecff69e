package dev.virtiofleet.streams.agents;

import dev.virtiofleet.streams.alerts.Episode;
import java.time.Instant;
import java.util.Optional;

/**
 * What is known of one host's agent.
 *
 * @param hostId the host
 * @param agentRunId run of its latest heartbeat
 * @param lastSampleSequence highest sample sequence its latest heartbeat announced
 * @param heartbeatTime event time of its latest heartbeat (agent clock)
 * @param receivedAt when that heartbeat was processed (this application's wall clock)
 * @param pollIntervalMs the agent's poll interval
 * @param silence the firing agent-silent alert, if any
 */
public record AgentLiveness(String hostId, String agentRunId, long lastSampleSequence, Instant heartbeatTime, Instant receivedAt,
        long pollIntervalMs, Optional<Episode> silence) {}
