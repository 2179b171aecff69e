package dev.virtiofleet.streams.observe;

import java.time.Instant;

/** Identifies one sample: when it was read, and by which agent run under which sequence number. */
public record SampleRef(Instant eventTime, String agentRunId, long agentSequence) {}
