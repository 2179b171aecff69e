package dev.virtiofleet.sim.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SplitVirtqueueTest {
    private static final BufferShape REQUEST = BufferShape.single(0x1000, 512, false, true);
    private static final BufferShape RX = BufferShape.single(0x2000, 1536, true, false);

    @Test
    void layoutMatchesWhatLinuxAllocatedInTheTranscripts() {
        // virtio-scsi queue 0: desc 46751744, avail 46755840, used 46756416; the next ring 8 KiB on.
        VringLayout scsi = VringLayout.at(46751744, 256);
        assertEquals(new VringLayout(46751744, 46755840, 46756416, 4096), scsi);
        assertEquals(8192, VringLayout.footprint(256));
        // virtio-rng, 8 entries: desc 43528192, avail 43528320, used 43528384.
        assertEquals(new VringLayout(43528192, 43528320, 43528384, 4096), VringLayout.at(43528192, 8));
    }

    @Test
    void indicesRunFreeAndWrapAt65536() {
        SplitVirtqueue queue = new SplitVirtqueue(0, 256, VringLayout.at(0x10000, 256), REQUEST);
        queue.restore(new RingCounters(65530, 65530, 65530, 65530, 65530, true));

        queue.passThrough(10, true);

        VirtQueueStatus status = queue.status("virtio-blk", Optional.empty());
        assertEquals(4, status.usedIdx());
        assertEquals(Optional.of(4), status.lastAvailIdx());
        assertEquals(4, status.signalledUsed());
        assertEquals(0, status.inuse());
        assertEquals(6, RingIndex.distance(65530, 0), "distance counts across the wrap");
    }

    @Test
    void theDriverCannotOfferMoreThanTheRingHolds() {
        SplitVirtqueue queue = new SplitVirtqueue(0, 8, VringLayout.at(0x10000, 8), REQUEST);
        assertEquals(8, queue.driverOffer(20));
        assertEquals(0, queue.driverOffer(1));
        assertEquals(3, queue.deviceTake(3));
        assertEquals(2, queue.devicePush(2));
        assertEquals(2, queue.driverOffer(5), "room only for what the device returned");
        assertEquals(1, queue.inuse());
    }

    @Test
    void shadowAvailIdxIsRefreshedOnlyWhenTheDeviceLooks() {
        SplitVirtqueue queue = new SplitVirtqueue(1, 256, VringLayout.at(0x10000, 256), RX);
        queue.driverOffer(8);
        assertEquals(Optional.of(0), queue.status("virtio-scsi", Optional.empty()).shadowAvailIdx());

        VirtioQueueElement element = queue.element("virtio-scsi", Optional.empty());

        assertEquals(8, element.avail().idx(), "the live avail index from guest memory");
        assertEquals(Optional.of(8), queue.status("virtio-scsi", Optional.empty()).shadowAvailIdx(),
                "reading the avail index refreshes QEMU's copy, as vring_avail_idx() does");
        assertEquals(Optional.of(0), queue.status("virtio-scsi", Optional.empty()).lastAvailIdx());
    }

    @Test
    void elementsShowTheBufferAtLastAvailOrZeroesWhereTheDriverNeverWrote() {
        SplitVirtqueue untouched = new SplitVirtqueue(0, 128, VringLayout.at(0x10000, 128), RX);
        assertEquals(BufferShape.NEVER_WRITTEN, untouched.element("virtio-serial", Optional.empty()).descs());

        SplitVirtqueue rx = new SplitVirtqueue(0, 256, VringLayout.at(0x10000, 256), RX);
        rx.restore(new RingCounters(256, 30, 256, 30, 30, true));
        VirtioQueueElement element = rx.element("virtio-net", Optional.empty());
        assertEquals(30, element.index(), "each posted rx buffer has its own head descriptor");
        assertEquals(30, element.avail().ring());
        assertEquals(List.of("write"), element.descs().getFirst().flags());
        assertEquals(5, rx.element("virtio-net", Optional.of(261)).index(), "explicit positions wrap at the ring size");
    }

    /**
     * The status is handed out again while unchanged: after every ring operation it must be what a
     * ring restored from the same indices reports, and the very same record only while nothing moved.
     */
    @Test
    void aRepeatedStatusIsNeverStale() {
        VringLayout layout = VringLayout.at(0x10000, 64);
        SplitVirtqueue queue = new SplitVirtqueue(3, 64, layout, RX);
        Random random = new Random(42);
        VirtQueueStatus previous = queue.status("virtio-net", Optional.empty());
        for (int step = 0; step < 5000; step++) {
            RingCounters before = queue.counters();
            switch (random.nextInt(7)) {
                case 0 -> queue.driverOffer(random.nextInt(10));
                case 1 -> queue.deviceTake(random.nextInt(10));
                case 2 -> queue.devicePush(random.nextInt(10));
                case 3 -> queue.deviceNotify();
                case 4 -> queue.element("virtio-net", Optional.empty());
                case 5 -> {
                    if (queue.inuse() == 0 && before.availIdx() == before.lastAvailIdx()) {
                        queue.passThrough(random.nextInt(300), random.nextBoolean());
                    }
                }
                default -> queue.setAvailFlags(random.nextInt(2));
            }
            VirtQueueStatus status = queue.status("virtio-net", Optional.empty());
            SplitVirtqueue fresh = new SplitVirtqueue(3, 64, layout, RX);
            fresh.restore(queue.counters());
            assertEquals(fresh.status("virtio-net", Optional.empty()), status, "step " + step);
            assertEquals(status.equals(previous), status == previous, "step " + step + ": the same record exactly while unchanged");
            previous = status;
        }
    }

    @Test
    void impossibleCountersAreRejected() {
        SplitVirtqueue queue = new SplitVirtqueue(0, 8, VringLayout.at(0x10000, 8), REQUEST);
        IllegalArgumentException overfull = assertThrows(IllegalArgumentException.class,
                () -> queue.restore(new RingCounters(20, 20, 20, 0, 0, false)));
        assertTrue(overfull.getMessage().contains("cannot hold 20"), overfull.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new RingCounters(5, 6, 5, 5, 5, true));
        assertThrows(IllegalArgumentException.class, () -> new SplitVirtqueue(0, 100, VringLayout.at(0, 100), REQUEST));
    }
}
