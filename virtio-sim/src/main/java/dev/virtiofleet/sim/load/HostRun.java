package dev.virtiofleet.sim.load;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What an agent on one simulated host stamps its samples with: the host id, its run id and one
 * sequence shared by all the host's VMs, incremented per sample, so a gap means a lost sample.
 */
public final class HostRun {
    private final String hostId;
    private final String runId;
    private final AtomicLong sequence = new AtomicLong();

    public HostRun(String hostId, String runId) {
        this.hostId = hostId;
        this.runId = runId;
    }

    public String hostId() {
        return hostId;
    }

    public String runId() {
        return runId;
    }

    long nextSequence() {
        return sequence.getAndIncrement();
    }

    /** How many sequence numbers were handed out. */
    public long issued() {
        return sequence.get();
    }
}
