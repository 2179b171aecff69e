package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.T0;
import static dev.virtiofleet.streams.testing.Samples.editElement;
import static dev.virtiofleet.streams.testing.Samples.editQueue;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtQueueStatus;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioRingAvail;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Notification lost and completion not signalled, judged with queue-element data (avail ring read
 * from guest memory). Base: the idle virtio-blk of the running-guest transcript, where used-idx,
 * last-avail-idx, shadow-avail-idx, signalled-used and the live avail.idx are all 4801.
 */
class QueueSignalRulesTopologyTest {
    private static final VirtioSample IDLE_BLK = Samples.of(RUNNING, BLK, true);
    /** Two requests the guest published in guest memory; QEMU was never kicked, so its shadow is still 4801. */
    private static final VirtioSample KICK_LOST = editElement(IDLE_BLK, 0, e -> e.setAvail(
            VirtioRingAvail.newBuilder(e.getAvail()).setIdx(4803).build()));
    /** Two completions pushed to the used ring (4801) that were never signalled (still 4799). */
    private static final VirtioSample UNSIGNALLED = editQueue(IDLE_BLK, 0, q -> q.setSignalledUsed(4799).setSignalledUsedValid(true));

    @TempDir
    Path stateDir;
    private DetectionDriver driver;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.fromProperties(Map.of(
                "rules.notification-lost.resolve-after", "0s",
                "rules.completion-not-signalled.resolve-after", "0s")), stateDir);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void notificationLostFiresWhenTheDeviceNeverTakesPublishedBuffersAndResolvesWhenItDoes() {
        driver.pipeAll(repeated(KICK_LOST, 0, 4));

        assertEquals(1, driver.alerts().size());
        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertKind.NOTIFICATION_LOST, firing.getKind());
        assertEquals(AlertState.FIRING, firing.getState());
        assertEquals(T0, firing.getStartedAt());
        assertEquals(4803L, firing.getEvidence().getFirst().getValues().get("avail.idx"));
        assertEquals(4801L, firing.getEvidence().getFirst().getValues().get("last-avail-idx"));

        VirtioSample taken = editQueue(KICK_LOST, 0, q -> q.setLastAvailIdx(4803).setShadowAvailIdx(4803).setUsedIdx(4803).setSignalledUsed(4803));
        driver.pipe(Samples.poll(taken, 4));

        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
        assertEquals(firing.getAlertId(), driver.alerts().getLast().getAlertId());
    }

    @Test
    void ourOwnElementReadRefreshingTheShadowKeepsItOneLostKickNotAStall() {
        // QEMU's vring_avail_idx stores what it reads: after the agent's first element read the
        // shadow shows the buffers too, and from then on samples may come without the element.
        VirtioSample refreshed = editQueue(KICK_LOST, 0, q -> q.setShadowAvailIdx(4803));
        VirtioSample refreshedWithoutElement = withoutElement(refreshed, 0);
        driver.pipe(Samples.poll(KICK_LOST, 0));
        driver.pipeAll(List.of(Samples.poll(refreshed, 1), Samples.poll(refreshedWithoutElement, 2), Samples.poll(refreshedWithoutElement, 3)));

        assertEquals(List.of(AlertKind.NOTIFICATION_LOST), driver.alerts().stream().map(VirtioAlert::getKind).toList());
        assertEquals(T0, driver.alerts().getFirst().getStartedAt(), "one episode from the first sample on");
    }

    @Test
    void buffersTheDeviceTookAndDoesNotReturnAreAStallNotALostKick() {
        VirtioSample hung = editQueue(KICK_LOST, 0, q -> q.setShadowAvailIdx(4803).setLastAvailIdx(4803).setInuse(2));
        driver.pipeAll(repeated(hung, 0, 4));

        assertEquals(List.of(AlertKind.QUEUE_STALLED), driver.alerts().stream().map(VirtioAlert::getKind).toList());
    }

    @Test
    void publishedBuffersTheDeviceTakesInTimeAreNoLostKick() {
        driver.pipeAll(repeated(KICK_LOST, 0, 2));
        VirtioSample taken = editQueue(KICK_LOST, 0, q -> q.setLastAvailIdx(4803).setShadowAvailIdx(4803).setUsedIdx(4803).setSignalledUsed(4803));
        driver.pipeAll(repeated(taken, 2, 10));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void completionNotSignalledFiresWhenUsedIsAheadOfSignalledWithInterruptsEnabled() {
        driver.pipeAll(repeated(UNSIGNALLED, 0, 4));

        assertEquals(1, driver.alerts().size());
        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertKind.COMPLETION_NOT_SIGNALLED, firing.getKind());
        assertEquals(4799L, firing.getEvidence().getFirst().getValues().get("signalled-used"));
        assertEquals(0L, firing.getEvidence().getFirst().getValues().get("avail.flags"));

        driver.pipe(Samples.poll(IDLE_BLK, 4));
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
    }

    @Test
    void aGuestPollingWithInterruptsSuppressedIsNotMissingASignal() {
        VirtioSample napi = editElement(UNSIGNALLED, 0, e -> e.setAvail(
                VirtioRingAvail.newBuilder(e.getAvail()).setFlags(1).build()));
        driver.pipeAll(repeated(napi, 0, 20));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void withoutQueueElementDataTheInterruptFlagsAreUnknownAndNothingFires() {
        VirtioSample noElement = editQueue(Samples.of(RUNNING, BLK, false), 0, q -> q.setSignalledUsed(4799).setSignalledUsedValid(true));
        driver.pipeAll(repeated(noElement, 0, 20));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void aSampleWithoutTheQueueElementNeitherResolvesNorRestartsTheClock() {
        VirtioSample withoutElement = VirtioSample.newBuilder(UNSIGNALLED).setQueues(Samples.of(RUNNING, BLK, false).getQueues().stream()
                .map(q -> QueueSample.newBuilder(q).setStatus(
                        VirtQueueStatus.newBuilder(q.getStatus()).setSignalledUsed(4799).setSignalledUsedValid(true).build())
                        .build()).toList()).build();
        driver.pipe(Samples.poll(UNSIGNALLED, 0)).pipe(Samples.poll(withoutElement, 1)).pipe(Samples.poll(UNSIGNALLED, 2));
        driver.pipe(Samples.poll(UNSIGNALLED, 3));
        assertEquals(List.of(), driver.alerts(), "the interval up to the blind sample does not count: 20 s so far");
        driver.pipe(Samples.poll(UNSIGNALLED, 4));
        assertEquals(1, driver.alerts(AlertState.FIRING).size(), "the clock was held, not restarted");

        driver.pipeAll(repeated(withoutElement, 5, 5));
        assertEquals(1, driver.alerts().size(), "no element, no verdict: the alert stays FIRING");
    }

    @Test
    void aQueueWithEverythingSignalledResolvesWithoutTheQueueElement() {
        driver.pipeAll(repeated(UNSIGNALLED, 0, 4));
        assertEquals(1, driver.alerts(AlertState.FIRING).size());

        // Recovered: signalled-used caught up with used-idx; the agent no longer reads the element.
        driver.pipe(Samples.poll(Samples.of(RUNNING, BLK, false), 4));
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
    }

    @Test
    void completionsThatKeepFlowingAreNotAMissedSignal() {
        for (int n = 0; n < 10; n++) {
            int used = 4801 + n;
            driver.pipe(Samples.poll(editQueue(UNSIGNALLED, 0, q -> q.setUsedIdx(used).setLastAvailIdx(used).setShadowAvailIdx(used)), n));
        }

        assertEquals(List.of(), driver.alerts());
    }

    private static VirtioSample withoutElement(VirtioSample sample, int index) {
        List<QueueSample> queues = sample.getQueues().stream()
                .map(q -> q.getQueueIndex() == index ? QueueSample.newBuilder(q).setElement(null).build() : q)
                .toList();
        return VirtioSample.newBuilder(sample).setQueues(queues).build();
    }
}
