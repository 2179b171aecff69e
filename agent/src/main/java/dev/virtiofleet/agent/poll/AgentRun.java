package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.QmpOutcome;
import java.time.Duration;
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
    private final CommandObserver observer;

    public AgentRun(String hostId, String runId) {
        this(hostId, runId, CommandObserver.NONE);
    }

    public AgentRun(String hostId, String runId, CommandObserver observer) {
        this.hostId = Objects.requireNonNull(hostId, "hostId");
        this.runId = Objects.requireNonNull(runId, "runId");
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /** A new run with a random id, whose commands are reported to {@code observer}. */
    public static AgentRun start(String hostId, CommandObserver observer) {
        return new AgentRun(hostId, UUID.randomUUID().toString(), observer);
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

    void completed(String command, QmpOutcome outcome, Duration latency) {
        outcomes.count(outcome);
        observer.completed(command, outcome, latency);
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
