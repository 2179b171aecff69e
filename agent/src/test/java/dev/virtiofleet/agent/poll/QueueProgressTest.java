package dev.virtiofleet.agent.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.poll.QueueProgress.Look;
import dev.virtiofleet.qapi.VirtQueueStatus;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueueProgressTest {
    private static final String BLK = "/machine/peripheral/blk0/virtio-backend";

    private static VirtQueueStatus queue(long inuse, int lastAvail, int shadowAvail, int used) {
        return new VirtQueueStatus("virtio-blk", 0, inuse, 256, 256, 4096, 1, 2, 3,
                Optional.of(lastAvail), Optional.of(shadowAvail), used, used, true);
    }

    @Test
    void outstandingWorkIsJudgedModulo65536() {
        assertFalse(QueueProgress.hasOutstandingWork(queue(0, 6209, 6209, 6209)), "drained");
        assertTrue(QueueProgress.hasOutstandingWork(queue(1, 6210, 6210, 6209)), "one request in use");
        assertTrue(QueueProgress.hasOutstandingWork(queue(0, 0, 8, 0)), "offered, not yet taken");
        assertTrue(QueueProgress.hasOutstandingWork(queue(0, 0, 0, 65535)), "taken across the wrap");
        assertFalse(QueueProgress.hasOutstandingWork(queue(0, 65535, 65535, 65535)), "drained at the top");
    }

    @Test
    void aQueueIsStuckOnlyWithOutstandingWorkAndNoCompletionSinceTheLastSweep() {
        QueueProgress progress = new QueueProgress();
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)).look(), "no earlier sweep to compare");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.STUCK, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)).look());
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6211, 6211, 6210)).look(), "it completed one");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.IDLE, progress.record(BLK, 0, queue(0, 6210, 6210, 6210)).look(), "nothing outstanding, nothing completed: idle, not stuck");
    }

    @Test
    void completionsNeverSignalledWithoutProgressLookStuckToo() {
        // used-idx 6210 ahead of signalled-used 6207, nothing in flight: QEMU's counters show no
        // outstanding work, and only the queue element tells a lost interrupt from NAPI polling.
        VirtQueueStatus unsignalled = new VirtQueueStatus("virtio-net", 1, 0, 256, 256, 4096, 1, 2, 3,
                Optional.of(6210), Optional.of(6210), 6210, 6207, true);
        assertFalse(QueueProgress.hasOutstandingWork(unsignalled));
        assertTrue(QueueProgress.hasUnsignalledCompletions(unsignalled));
        QueueProgress progress = new QueueProgress();
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 1, unsignalled).look(), "no earlier sweep to compare");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.STUCK, progress.record(BLK, 1, unsignalled).look(), "no progress since the last sweep");

        VirtQueueStatus notTracked = new VirtQueueStatus("virtio-net", 1, 0, 256, 256, 4096, 1, 2, 3,
                Optional.of(6210), Optional.of(6210), 6210, 6207, false);
        assertFalse(QueueProgress.hasUnsignalledCompletions(notTracked), "signalled-used not valid: nothing to judge");
        assertFalse(QueueProgress.hasUnsignalledCompletions(queue(0, 6210, 6210, 6210)), "all signalled");
    }

    @Test
    void anUnpluggedDeviceIsForgottenAndAnUnreadQueueRemembered() {
        QueueProgress progress = new QueueProgress();
        progress.record(BLK, 0, queue(1, 6210, 6210, 6209));
        progress.endSweep(Set.of(BLK));
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.STUCK, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)).look(), "a sweep that did not read it keeps the reading");
        progress.endSweep(Set.of(BLK));
        progress.endSweep(Set.of());
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)).look(), "gone, then back: a new device");
    }

    @Test
    void aQueueThatWasNeverUsedIsNotIdleButUnused() {
        QueueProgress progress = new QueueProgress();
        progress.record(BLK, 5, queue(0, 0, 0, 0));
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 5, queue(0, 0, 0, 0)).look(), "never used: no probe of its element");
    }

    @Test
    void aQueueIsActiveOnceItShowedAnyActivityUntilItsDeviceGoes() {
        QueueProgress progress = new QueueProgress();
        progress.record(BLK, 0, queue(0, 0, 0, 0));
        progress.endSweep(Set.of(BLK));
        assertFalse(progress.isActive(BLK, 0), "never used: census only");
        progress.record(BLK, 0, queue(0, 1, 1, 1));
        progress.endSweep(Set.of(BLK));
        assertTrue(progress.isActive(BLK, 0));
        progress.endSweep(Set.of(BLK));
        assertTrue(progress.isActive(BLK, 0), "stays active while not read");
        progress.endSweep(Set.of());
        assertFalse(progress.isActive(BLK, 0), "forgotten with its device");
    }

    /** Sweeps the readings in order and returns the last one's verdict. */
    private static QueueProgress.Reading sweep(VirtQueueStatus... readings) {
        QueueProgress progress = new QueueProgress();
        QueueProgress.Reading last = null;
        for (VirtQueueStatus reading : readings) {
            last = progress.record(BLK, 0, reading);
            progress.endSweep(Set.of(BLK));
        }
        return last;
    }

    @Test
    void anOfferedChainNotYetTakenIsIntactAtLastAvail() {
        QueueProgress.Reading reading = sweep(queue(0, 100, 104, 100), queue(0, 100, 104, 100));
        assertEquals(Look.STUCK, reading.look());
        assertEquals(OptionalInt.of(100), reading.intactSlot(), "the guest cannot reclaim what it offered and nobody took");
    }

    @Test
    void theNewestTakenChainIsIntactWhileNothingCompletedSinceItWasTaken() {
        // Took 2 more (last-avail 100 -> 102) and completed nothing: slot 101 is still in flight.
        assertEquals(OptionalInt.of(101), sweep(queue(3, 100, 100, 97), queue(5, 102, 102, 97)).intactSlot());
        // Still nothing completed a sweep later: still in flight.
        assertEquals(OptionalInt.of(101), sweep(queue(3, 100, 100, 97), queue(5, 102, 102, 97), queue(5, 102, 102, 97)).intactSlot());
        // Across the wrap: last-avail 0 means the newest taken sits at 65535.
        assertEquals(OptionalInt.of(65535), sweep(queue(1, 65534, 65534, 65533), queue(3, 0, 0, 65533)).intactSlot());
    }

    @Test
    void noSlotIsIntactWhenTheNewestTakenChainMayHaveCompleted() {
        // One completed (97 -> 98) between the first two sweeps, then nothing moved: the completed one
        // may be slot 101 (devices complete out of order), and the guest may have freed its chain.
        QueueProgress.Reading reading = sweep(queue(3, 101, 101, 97), queue(2, 101, 101, 98), queue(2, 101, 101, 98));
        assertEquals(Look.STUCK, reading.look());
        assertEquals(OptionalInt.empty(), reading.intactSlot());
        // Nothing taken and nothing completed between the only two sweeps: unknown what is in flight.
        assertEquals(OptionalInt.empty(), sweep(queue(2, 101, 101, 99), queue(2, 101, 101, 99)).intactSlot());
    }

    @Test
    void anUnsignalledCompletionIsIntactAtTheNewestTakenSlot() {
        VirtQueueStatus unsignalled = new VirtQueueStatus("virtio-net", 1, 0, 256, 256, 4096, 1, 2, 3,
                Optional.of(6210), Optional.of(6210), 6210, 6207, true);
        QueueProgress progress = new QueueProgress();
        progress.record(BLK, 1, unsignalled);
        progress.endSweep(Set.of(BLK));
        assertEquals(OptionalInt.of(6209), progress.record(BLK, 1, unsignalled).intactSlot(),
                "a guest never interrupted for it has not reclaimed it");
    }
}
