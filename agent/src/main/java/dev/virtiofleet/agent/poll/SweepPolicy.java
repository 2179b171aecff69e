package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.config.Require;

/**
 * How much of a VM each sweep reads. QEMU answers QMP in its main loop, so every command takes
 * time from the guest's device emulation; most queues of a real guest (63 of virtio-serial's 64)
 * are never used. Queues that have never shown any activity, or are not set up, are therefore
 * read only on census sweeps; queues that have moved are read on every sweep.
 *
 * <p>The default reads every queue on every sweep: a queue that never moved can still take its
 * first request and hang, and streams judges a queue missing from a sample as unread, so skipping
 * delays detection by up to {@code census-every} intervals. Raise it only where QMP load matters more.
 *
 * @param censusEvery every how many sweeps all queues are read ({@code poll.census-every}, 1..1000,
 *     default 1: everything every sweep; 6 would be once a minute at the default 10 s interval). The
 *     first sweep of a connection is always a census.
 */
public record SweepPolicy(int censusEvery) {
    /** Every queue on every sweep. */
    public static final SweepPolicy FULL = new SweepPolicy(1);

    public SweepPolicy {
        Require.inRange("poll.census-every", censusEvery, 1, 1000);
    }

    public static SweepPolicy defaults() {
        return FULL;
    }

    boolean isCensus(long sweepIndex) {
        return sweepIndex % censusEvery == 0;
    }
}
