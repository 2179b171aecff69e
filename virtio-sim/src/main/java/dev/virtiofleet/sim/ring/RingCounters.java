package dev.virtiofleet.sim.ring;

/**
 * The indices of a split ring at one instant; {@code inuse} follows as last-avail minus used.
 * Invariant (mod 65536): used ≤ last-avail ≤ avail, with at most the ring size between used and avail.
 */
public record RingCounters(
        int availIdx, int lastAvailIdx, int shadowAvailIdx, int usedIdx, int signalledUsed, boolean signalledUsedValid) {

    public RingCounters {
        RingIndex.require("avail idx", availIdx);
        RingIndex.require("last-avail-idx", lastAvailIdx);
        RingIndex.require("shadow-avail-idx", shadowAvailIdx);
        RingIndex.require("used-idx", usedIdx);
        RingIndex.require("signalled-used", signalledUsed);
        if (RingIndex.distance(usedIdx, lastAvailIdx) > RingIndex.distance(usedIdx, availIdx)) {
            throw new IllegalArgumentException("last-avail-idx " + lastAvailIdx + " is beyond avail idx " + availIdx
                    + " (used-idx " + usedIdx + ")");
        }
    }

    /** A queue the driver set up and never used. */
    public static final RingCounters FRESH = new RingCounters(0, 0, 0, 0, 0, false);

    public int inuse() {
        return RingIndex.distance(usedIdx, lastAvailIdx);
    }
}
