package dev.virtiofleet.sim.ring;

/**
 * Where a split ring's three parts sit in guest memory, laid out as a Linux 6.1 guest allocates
 * them: descriptor table, then the avail ring, then the used ring at the next 64-byte boundary.
 * {@code align} is what QEMU reports as {@code vring-align} (its legacy page alignment, 4096).
 */
public record VringLayout(long desc, long avail, long used, int align) {
    public static final int QEMU_VRING_ALIGN = 4096;
    private static final int DESC_SIZE = 16;
    private static final int USED_RING_ALIGN = 64;
    private static final int PAGE = 4096;

    /** The layout of a ring of {@code num} entries whose descriptor table starts at {@code base}. */
    public static VringLayout at(long base, int num) {
        long avail = base + (long) DESC_SIZE * num;
        long used = alignUp(avail + availBytes(num), USED_RING_ALIGN);
        return new VringLayout(base, avail, used, QEMU_VRING_ALIGN);
    }

    /** Bytes of guest memory the whole ring occupies, rounded to pages as the guest allocates it. */
    public static long footprint(int num) {
        VringLayout probe = at(0, num);
        return alignUp(probe.used + usedBytes(num), PAGE);
    }

    /** Avail ring: flags, idx, ring[num], used_event. */
    public static int availBytes(int num) {
        return 6 + 2 * num;
    }

    /** Used ring: flags, idx, ring[num] of (id, len), avail_event. */
    public static int usedBytes(int num) {
        return 6 + 8 * num;
    }

    public static int descBytes(int num) {
        return DESC_SIZE * num;
    }

    private static long alignUp(long value, long alignment) {
        return (value + alignment - 1) / alignment * alignment;
    }
}
