package dev.virtiofleet.sim.ring;

/**
 * Hands out guest-physical addresses for rings, page by page, as a guest's allocator would. Not
 * thread-safe: one per simulated VM, used while the VM is built or a device is plugged.
 */
public final class GuestMemory {
    /** Where Linux guests in the transcripts placed their first rings (about 41 MiB). */
    public static final long DEFAULT_BASE = 0x0297_8000L;

    private long next;

    public GuestMemory(long base) {
        if (base < 0 || base % 4096 != 0) {
            throw new IllegalArgumentException("ring memory base must be a non-negative multiple of 4096, got " + base);
        }
        this.next = base;
    }

    /** Places a ring of {@code num} entries at the next free pages. */
    public VringLayout placeRing(int num) {
        VringLayout layout = VringLayout.at(next, num);
        next += VringLayout.footprint(num);
        return layout;
    }
}
