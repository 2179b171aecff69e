package dev.virtiofleet.agent.poll;

import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This agent process: the host it runs on, a random run id, the sample sequence shared by every VM
 * it polls (monotonic per run, so a gap downstream means a lost sample) and the run's tally of
 * command outcomes.
 */
public final class AgentRun {
    private final String hostId;
    private final String runId;
    private final AtomicLong lastSequence = new AtomicLong(-1);
    private final OutcomeTally outcomes = new OutcomeTally();

    public AgentRun(String hostId, String runId) {
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.runId = Objects.requireNonNull(runId, "runId");
    }

    public static AgentRun start(String hostId) {
        return new AgentRun(hostId, UUID.randomUUID().toString());
    }

    public String hostId() {
        return hostId;
    }

    public String runId() {
        return runId;
    }

    long nextSequence() {
        return lastSequence.incrementAndGet();
    }

    /** Command outcomes of all VMs so far. */
    public OutcomeTally outcomes() {
        return outcomes;
    }

    /** The highest sequence handed out so far; -1 before the first sample. */
    public long lastSequence() {
        return lastSequence.get();
    }
}
