package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.config.Require;

/**
 * How much of a VM each sweep reads. QEMU answers QMP in its main loop, so every command takes
 * time from the guest's device emulation; most queues of a real guest (63 of virtio-serial's 64)
 * are never used. Queues that have never shown any activity, or are not set up, are therefore
 * read only on census sweeps; queues that have moved are read on every sweep.
 *
 * <p>The default census is every sixth sweep (once a minute at the default 10 s interval), which
 * takes a real Linux guest with the transcripts' seven devices from 86 commands a sweep to 29 on
 * average, and its monitor time from ~140 ms to ~30 ms (agent/BENCHMARKS.md). The price: a queue
 * that has not moved since the agent connected and then hangs on its very first request is seen
 * up to one census period late (streams judges a queue missing from a sample as unread, so its
 * stall counts from the census that reads it). A queue that moved once is read on every sweep
 * from then on, also after a device reset. {@code census-every: 1} reads everything every sweep.
 *
 * <p>A lost notification is invisible in QEMU's counters: the device was never kicked, so it never
 * looked, and the queue status reads idle. Only the guest's avail index in guest memory (the queue
 * element) shows the buffers waiting. Every {@code idleProbeEvery} sweeps the queues that were in
 * use before and made no progress since the last sweep can therefore be read with the element too.
 * <b>Off by default</b>: {@code x-query-virtio-queue-element} walks the descriptor chain at
 * last-avail-idx, and on an idle queue that slot is stale; QEMU 7.2 reports a bad chain with
 * {@code virtio_error()}, which marks the device broken (NEEDS_RESET). Seen for real: a real guest's
 * virtio-scsi went NEEDS_RESET under idle probes in this project's real-QEMU test. Turn it on only
 * where a lost kick matters more than that risk.
 *
 * @param censusEvery every how many sweeps all queues are read ({@code poll.census-every}, 1..1000,
 *     default 6: once a minute at the default 10 s interval; 1: everything every sweep). The first
 *     sweep of a connection is always a census.
 * @param idleProbeEvery every how many sweeps idle queues get the element query ({@code
 *     poll.idle-probe-every}, 0..1000; default 0: never, see above; 3 at the default 10 s interval
 *     sees a lost kick within 30 s, confirmed after the 30 s threshold)
 */
public record SweepPolicy(int censusEvery, int idleProbeEvery) {
    /** Never: see the class comment on what an element read of an idle queue can do to a device. */
    public static final int DEFAULT_IDLE_PROBE_EVERY = 0;
    /** Every queue on every sweep, and no idle probes. */
    public static final SweepPolicy FULL = new SweepPolicy(1, 0);
    /** Once a minute at the default 10 s interval: see the class comment for what it saves and what it costs. */
    public static final int DEFAULT_CENSUS_EVERY = 6;

    public SweepPolicy {
        Require.inRange("poll.census-every", censusEvery, 1, 1000);
        Require.inRange("poll.idle-probe-every", idleProbeEvery, 0, 1000);
    }

    /** A census every sixth sweep, no idle probes. */
    public static SweepPolicy defaults() {
        return new SweepPolicy(DEFAULT_CENSUS_EVERY, DEFAULT_IDLE_PROBE_EVERY);
    }

    boolean isCensus(long sweepIndex) {
        return sweepIndex % censusEvery == 0;
    }

    boolean isIdleProbe(long sweepIndex) {
        return idleProbeEvery > 0 && sweepIndex % idleProbeEvery == 0;
    }
}
