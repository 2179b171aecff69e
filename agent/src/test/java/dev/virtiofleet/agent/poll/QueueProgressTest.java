package dev.virtiofleet.agent.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.poll.QueueProgress.Look;
import dev.virtiofleet.qapi.VirtQueueStatus;
import java.util.Optional;
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
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)), "no earlier sweep to compare");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.STUCK, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)));
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6211, 6211, 6210)), "it completed one");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.IDLE, progress.record(BLK, 0, queue(0, 6210, 6210, 6210)), "nothing outstanding, nothing completed: idle, not stuck");
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
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 1, unsignalled), "no earlier sweep to compare");
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.STUCK, progress.record(BLK, 1, unsignalled), "no progress since the last sweep");

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
        assertEquals(Look.STUCK, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)), "a sweep that did not read it keeps the reading");
        progress.endSweep(Set.of(BLK));
        progress.endSweep(Set.of());
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 0, queue(1, 6210, 6210, 6209)), "gone, then back: a new device");
    }

    @Test
    void aQueueThatWasNeverUsedIsNotIdleButUnused() {
        QueueProgress progress = new QueueProgress();
        progress.record(BLK, 5, queue(0, 0, 0, 0));
        progress.endSweep(Set.of(BLK));
        assertEquals(Look.NOTHING_TO_PROBE, progress.record(BLK, 5, queue(0, 0, 0, 0)), "never used: no probe of its element");
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
}
