package dev.virtiofleet.sim.ring;

import dev.virtiofleet.qapi.VirtioRingDesc;
import java.util.List;

/**
 * What one buffer the guest driver places on a queue looks like in the descriptor table, in the
 * order {@code x-query-virtio-queue-element} lists it (QEMU prepends, so a chain comes out last
 * descriptor first).
 *
 * @param descs the descriptors of one buffer
 * @param headReused true when the driver recycles the same head descriptor for every buffer (one
 *     indirect descriptor per request, freed before the next), so the avail ring always names
 *     descriptor 0; false when each avail slot has its own descriptor (pre-posted receive pools)
 */
public record BufferShape(List<VirtioRingDesc> descs, boolean headReused) {
    /** What QEMU reads from a descriptor table the driver never wrote: one zeroed descriptor. */
    public static final List<VirtioRingDesc> NEVER_WRITTEN = List.of(new VirtioRingDesc(0, 0, List.of()));

    public BufferShape {
        descs = List.copyOf(descs);
        if (descs.isEmpty()) {
            throw new IllegalArgumentException("a buffer has at least one descriptor");
        }
    }

    /** A single-descriptor buffer. */
    public static BufferShape single(long addr, long len, boolean deviceWritable, boolean headReused) {
        return new BufferShape(
                List.of(new VirtioRingDesc(addr, len, deviceWritable ? List.of("write") : List.of())), headReused);
    }
}
