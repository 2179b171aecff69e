package dev.virtiofleet.streams.ring;

/**
 * Arithmetic on split-virtqueue indices. avail-idx, last-avail-idx and used-idx are free-running
 * 16-bit counters: a busy queue wraps from 65535 to 0 every few seconds, and that wrap is progress,
 * never a reset. Every comparison of two indices therefore goes through here.
 */
public final class RingIndex {
    public static final int MODULUS = 1 << 16;
    private static final int MASK = MODULUS - 1;

    private RingIndex() {}

    /** How many steps {@code to} is ahead of {@code from}, counting forward modulo 65536 (0..65535). */
    public static int distance(int from, int to) {
        return (to - from) & MASK;
    }

    /**
     * Whether {@code index} is ahead of {@code reference} by at least one and at most {@code window}
     * entries. The window is the queue size: a ring cannot hold more outstanding entries than that,
     * so a larger forward distance means the two readings are from different epochs, not work ahead.
     */
    public static boolean isAhead(int index, int reference, long window) {
        int distance = distance(reference, index);
        return distance > 0 && distance <= Math.min(window, MASK);
    }

    /** Whether {@code value} is a valid 16-bit ring index. */
    public static boolean isValid(long value) {
        return value >= 0 && value <= MASK;
    }
}
