package dev.virtiofleet.sim.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.sim.device.DeviceHealth;
import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.device.VhostKind;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class FaultTest {
    private static final QueueRef BLK = new QueueRef("blk0", 0);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final SimulatedVm vm = new SimulatedVm(
            ReferenceMachines.transcriptGuest("app-1", UUID.randomUUID(), NetOptions.defaults()), clock);

    @Test
    void aHungBackendLooksLikeTheHungTranscriptAndRecovers() {
        Fault hang = new Fault.BackendHang(BLK);
        hang.inject(vm);
        clock.advance(Duration.ofMinutes(5));

        VirtQueueStatus hung = status("blk0", 0);
        assertEquals(1, hung.inuse());
        assertEquals(4801, hung.usedIdx());
        assertEquals(Optional.of(4802), hung.lastAvailIdx());
        assertEquals(Optional.of(4802), hung.shadowAvailIdx());
        assertEquals(4801, hung.signalledUsed());

        vm.setTraffic(BLK, Traffic.steady(10));
        clock.advance(Duration.ofSeconds(2));
        assertEquals(4801, status("blk0", 0).usedIdx(), "used-idx stays frozen under load");
        assertEquals(21, status("blk0", 0).inuse(), "the backend keeps taking what it never completes");

        hang.recover(vm);
        VirtQueueStatus recovered = status("blk0", 0);
        assertEquals(0, recovered.inuse());
        assertEquals(4822, recovered.usedIdx());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(4832, status("blk0", 0).usedIdx(), "progress resumes");
    }

    @Test
    void aBackendRecoveredWhileTheVmIsPausedCompletesOnResume() {
        new Fault.BackendHang(BLK).inject(vm);
        new Fault.VmPaused().inject(vm);
        new Fault.BackendHang(BLK).recover(vm);
        assertEquals(1, status("blk0", 0).inuse(), "a paused guest's device does nothing");
        new Fault.VmPaused().recover(vm);
        assertEquals(0, status("blk0", 0).inuse());
        assertEquals(4802, status("blk0", 0).usedIdx());
    }

    @Test
    void aLostNotificationLeavesAvailAheadInGuestMemoryOnly() {
        vm.setTraffic(BLK, Traffic.steady(5));
        Fault lost = new Fault.LostNotification(BLK);
        lost.inject(vm);
        clock.advance(Duration.ofSeconds(2));

        VirtQueueStatus status = status("blk0", 0);
        assertEquals(Optional.of(4801), status.lastAvailIdx());
        assertEquals(Optional.of(4801), status.shadowAvailIdx(), "QEMU never looked");
        assertEquals(0, status.inuse());
        VirtioQueueElement live = vm.observe(m -> m.device("blk0").queueElement(0, Optional.empty()));
        assertEquals(4811, live.avail().idx());
        assertEquals(4801, live.used().idx());

        lost.recover(vm);
        assertEquals(4811, status("blk0", 0).usedIdx());
    }

    @Test
    void completionsWithoutInterruptLeaveUsedAheadOfSignalledAndTheGuestWaiting() {
        vm.setTraffic(BLK, Traffic.steady(5));
        Fault silent = new Fault.CompletionNotSignalled(BLK);
        silent.inject(vm);
        clock.advance(Duration.ofSeconds(2));
        VirtQueueStatus first = status("blk0", 0);
        assertEquals(4811, first.usedIdx());
        assertEquals(4801, first.signalledUsed(), "the guest was never interrupted");
        clock.advance(Duration.ofSeconds(10));
        assertEquals(first, status("blk0", 0), "a guest waiting for its interrupt submits nothing more");

        silent.recover(vm);
        assertEquals(4811, status("blk0", 0).signalledUsed());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(4816, status("blk0", 0).usedIdx());
    }

    @Test
    void aPollingGuestRunsAheadOfSignalledUsedWithInterruptsSuppressed() {
        vm.setTraffic(BLK, Traffic.steady(5));
        new Fault.GuestPolling(BLK).inject(vm);
        clock.advance(Duration.ofSeconds(2));
        clock.advance(Duration.ofSeconds(2));
        VirtQueueStatus polled = status("blk0", 0);
        assertEquals(4821, polled.usedIdx(), "work keeps flowing");
        assertEquals(4801, polled.signalledUsed());
        VirtioQueueElement element = vm.observe(m -> m.device("blk0").queueElement(0, Optional.empty()));
        assertEquals(1, element.avail().flags(), "VRING_AVAIL_F_NO_INTERRUPT");
    }

    @Test
    void deviceFailuresShowInStatusAndStopTheRing() {
        vm.setTraffic(BLK, Traffic.steady(5));
        Fault broken = new Fault.DeviceFailure("blk0", DeviceHealth.BROKEN);
        broken.inject(vm);
        clock.advance(Duration.ofSeconds(2));
        VirtioStatus status = vm.observe(m -> m.device("blk0").status(true));
        assertTrue(status.broken());
        assertTrue(status.status().symbols().contains("VIRTIO_CONFIG_S_NEEDS_RESET"));
        assertEquals(4801, status("blk0", 0).usedIdx());
        broken.recover(vm);
        assertEquals(4811, status("blk0", 0).usedIdx());

        new Fault.DeviceFailure("blk0", DeviceHealth.NEEDS_RESET).inject(vm);
        VirtioStatus needsReset = vm.observe(m -> m.device("blk0").status(true));
        assertFalse(needsReset.broken());
        assertTrue(needsReset.status().symbols().contains("VIRTIO_CONFIG_S_NEEDS_RESET"));

        new Fault.DeviceFailure("blk0", DeviceHealth.FAILED).inject(vm);
        assertTrue(vm.observe(m -> m.device("blk0").status(true)).status().symbols().contains("VIRTIO_CONFIG_S_FAILED"));
    }

    @Test
    void aFeatureViolationAcksWhatTheHostNeverOffered() {
        Fault violation = new Fault.FeatureViolation("net0", "VIRTIO_F_RING_PACKED");
        violation.inject(vm);
        VirtioStatus status = vm.observe(m -> m.device("net0").status(true));
        FeatureSet extra = status.guestFeatures().symbols().minus(status.hostFeatures().symbols());
        assertEquals(List.of("VIRTIO_F_RING_PACKED"), List.copyOf(extra.symbols()));

        violation.recover(vm);
        VirtioStatus healed = vm.observe(m -> m.device("net0").status(true));
        assertTrue(healed.guestFeatures().symbols().isSubsetOf(healed.hostFeatures().symbols()));

        assertThrows(IllegalArgumentException.class,
                () -> new Fault.FeatureViolation("net0", "VIRTIO_NET_F_MAC").inject(vm), "offered: no violation");
    }

    @Test
    void vhostDesyncAcksInTheBackendWhatTheGuestDidNot() {
        SimulatedVm vhost = new SimulatedVm(new VmSpec("v", UUID.randomUUID(), List.of(
                LinuxGuestDevices.net("net0", NetOptions.defaults().withVhost(VhostKind.KERNEL)))), clock);
        new Fault.VhostDesync("net0", "VIRTIO_NET_F_GSO").inject(vhost);
        VirtioStatus status = vhost.observe(m -> m.device("net0").status(true));
        FeatureSet acked = status.vhostDev().orElseThrow().ackedFeatures().symbols();
        assertTrue(acked.contains("VIRTIO_NET_F_GSO"));
        assertFalse(status.guestFeatures().symbols().contains("VIRTIO_NET_F_GSO"));
        assertThrows(IllegalStateException.class, () -> new Fault.VhostDesync("blk0", "VIRTIO_BLK_F_RO").inject(vm),
                "no vhost backend on blk0");
    }

    @Test
    void unknownTargetsAreNamedInTheError() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> new Fault.BackendHang(new QueueRef("nvme0", 0)).inject(vm));
        assertTrue(missing.getMessage().contains("nvme0") && missing.getMessage().contains("blk0"), missing.getMessage());
    }

    private VirtQueueStatus status(String device, int queue) {
        return vm.observe(m -> m.device(device).queueStatus(queue));
    }
}
