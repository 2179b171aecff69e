package dev.virtiofleet.sim.ring;

/** Arithmetic on free-running 16-bit ring indices, which wrap at 65536 like the guest's. */
public final class RingIndex {
    public static final int MODULUS = 1 << 16;

    private RingIndex() {}

    /** {@code index + count}, wrapped. */
    public static int advance(int index, long count) {
        return (int) ((index + count) & 0xFFFF);
    }

    /** How far {@code ahead} is beyond {@code behind}, 0..65535. */
    public static int distance(int behind, int ahead) {
        return (ahead - behind) & 0xFFFF;
    }

    /** Checks that a value is a 16-bit index; names it in the error. */
    public static int require(String what, int index) {
        if (index < 0 || index >= MODULUS) {
            throw new IllegalArgumentException(what + " must be a 16-bit ring index 0..65535, got " + index);
        }
        return index;
    }
}
