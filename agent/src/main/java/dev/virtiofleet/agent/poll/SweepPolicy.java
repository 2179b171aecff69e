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
 * <p>A lost notification is invisible in QEMU's counters: the device was never kicked, so it never
 * looked, and the queue status reads idle. Only the guest's avail index in guest memory (the queue
 * element) shows the buffers waiting. Every {@code idleProbeEvery} sweeps the queues that were in
 * use before and made no progress since the last sweep are therefore read with the element too:
 * one command per idle queue, on one sweep in {@code idleProbeEvery}.
 *
 * @param censusEvery every how many sweeps all queues are read ({@code poll.census-every}, 1..1000,
 *     default 1: everything every sweep; 6 would be once a minute at the default 10 s interval). The
 *     first sweep of a connection is always a census.
 * @param idleProbeEvery every how many sweeps idle queues get the element query ({@code
 *     poll.idle-probe-every}, 1..1000, default 3: at the default 10 s interval a lost kick is seen
 *     within 30 s, and confirmed after the 30 s threshold)
 */
public record SweepPolicy(int censusEvery, int idleProbeEvery) {
    public static final int DEFAULT_IDLE_PROBE_EVERY = 3;
    /** Everything on every sweep: every queue, and the element of every idle one. */
    public static final SweepPolicy FULL = new SweepPolicy(1, 1);

    public SweepPolicy {
        Require.inRange("poll.census-every", censusEvery, 1, 1000);
        Require.inRange("poll.idle-probe-every", idleProbeEvery, 1, 1000);
    }

    /** Every queue on every sweep; idle queues probed every {@value #DEFAULT_IDLE_PROBE_EVERY} sweeps. */
    public static SweepPolicy defaults() {
        return new SweepPolicy(1, DEFAULT_IDLE_PROBE_EVERY);
    }

    boolean isCensus(long sweepIndex) {
        return sweepIndex % censusEvery == 0;
    }

    boolean isIdleProbe(long sweepIndex) {
        return sweepIndex % idleProbeEvery == 0;
    }
}
