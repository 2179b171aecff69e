package dev.virtiofleet.sim.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.ring.RingCounters;
import dev.virtiofleet.sim.ring.RingIndex;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SimulatedVmTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final SimulatedVm vm = new SimulatedVm(
            ReferenceMachines.transcriptGuest("db-1", UUID.randomUUID(), NetOptions.defaults()), clock);

    @Test
    void anIdleHealthyGuestStaysExactlyAsTheTranscriptsShowIt() {
        Map<String, List<RingCounters>> atBoot = snapshot();
        clock.advance(Duration.ofHours(6));
        assertEquals(atBoot, snapshot());

        VirtQueueStatus rx = queueStatus("net0", 0);
        assertEquals(30, rx.lastAvailIdx().orElseThrow());
        assertEquals(256, rx.shadowAvailIdx().orElseThrow(), "receive buffers posted well ahead of the device");
        VirtQueueStatus stats = queueStatus("bal0", 2);
        assertEquals(1, stats.inuse(), "the balloon stats buffer stays with the device");
        assertEquals(0, stats.usedIdx());
    }

    @Test
    void aBusyBlockQueueWrapsEveryFewSeconds() {
        vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(30_000));
        int before = queueStatus("blk0", 0).usedIdx();

        clock.advance(Duration.ofSeconds(3));

        VirtQueueStatus after = queueStatus("blk0", 0);
        assertEquals(RingIndex.advance(before, 90_000), after.usedIdx());
        assertEquals(29_265, after.usedIdx(), "4801 + 90000 wrapped past 65535");
        assertEquals(0, after.inuse());
        assertEquals(after.usedIdx(), after.signalledUsed());
        assertEquals(after.usedIdx(), (int) after.lastAvailIdx().orElseThrow());
    }

    @Test
    void receivedPacketsConsumePostedBuffersWhichTheDriverRefillsInBatches() {
        vm.setTraffic(new QueueRef("net0", 0), Traffic.steady(1000));
        for (int step = 0; step < 20; step++) {
            clock.advance(Duration.ofMillis(37));
            VirtQueueStatus rx = queueStatus("net0", 0);
            VirtioQueueElement live = vm.observe(m -> m.device("net0").queueElement(0, Optional.empty()));
            int posted = RingIndex.distance(live.used().idx(), live.avail().idx());
            assertTrue(posted > 256 - 33 && posted <= 256, "posted " + posted + " at step " + step);
            assertEquals(0, rx.inuse());
        }
        assertEquals(30 + 740, queueStatus("net0", 0).usedIdx());
    }

    @Test
    void aPausedGuestDoesNothingAndTellsItsListeners() {
        List<VmEvent> events = new ArrayList<>();
        vm.addListener(new VmListener() {
            @Override
            public void onEvent(VmEvent event) {
                events.add(event);
            }

            @Override
            public void onMonitorChanged(MonitorCondition condition) {}
        });
        vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(100));
        clock.advance(Duration.ofSeconds(1));
        vm.stop();
        int pausedAt = queueStatus("blk0", 0).usedIdx();
        clock.advance(Duration.ofSeconds(10));
        assertEquals(pausedAt, queueStatus("blk0", 0).usedIdx());
        VirtioStatus paused = vm.observe(m -> m.device("blk0").status(m.running()));
        assertFalse(paused.vmRunning());

        vm.cont();
        clock.advance(Duration.ofSeconds(1));
        assertEquals(RingIndex.advance(pausedAt, 100), queueStatus("blk0", 0).usedIdx());
        assertEquals(List.of("STOP", "RESUME"), events.stream().map(VmEvent::name).toList());
        assertEquals(clock.instant().minusSeconds(1), events.get(1).timestamp());
    }

    @Test
    void unplugRaisesDeviceDeletedForBackendThenDeviceAndReplugListsItFirst() {
        List<VmEvent> events = new ArrayList<>();
        vm.addListener(new VmListener() {
            @Override
            public void onEvent(VmEvent event) {
                events.add(event);
            }

            @Override
            public void onMonitorChanged(MonitorCondition condition) {}
        });
        vm.unplug("blk0");

        assertTrue(vm.deviceAt("/machine/peripheral/blk0/virtio-backend").isEmpty());
        assertEquals(Map.of("path", "/machine/peripheral/blk0/virtio-backend"), events.get(0).data());
        assertEquals(Map.of("device", "blk0", "path", "/machine/peripheral/blk0"), events.get(1).data());

        vm.plug(LinuxGuestDevices.blk("blk0", 1));
        assertEquals("blk0", vm.devicesNewestFirst().getFirst().id());
    }

    @Test
    void multiqueueDevicesOfferAndNegotiateMq() {
        SimulatedVm big = new SimulatedVm(new VmSpec("big", UUID.randomUUID(), List.of(
                LinuxGuestDevices.net("net0", NetOptions.defaults().withQueuePairs(4)),
                LinuxGuestDevices.blk("blk0", 4))), clock);
        VirtioStatus net = big.observe(m -> m.device("net0").status(true));
        assertEquals(9, net.numVqs(), "4 rx/tx pairs and the control queue");
        assertTrue(net.hostFeatures().symbols().contains("VIRTIO_NET_F_MQ"));
        assertTrue(net.guestFeatures().symbols().contains("VIRTIO_NET_F_MQ"));
        assertEquals(8, net.queueSel());
        VirtioStatus blk = big.observe(m -> m.device("blk0").status(true));
        assertEquals(4, blk.numVqs());
        assertTrue(blk.guestFeatures().symbols().contains("VIRTIO_BLK_F_MQ"));
        assertTrue(net.guestFeatures().symbols().isSubsetOf(net.hostFeatures().symbols()));
    }

    @Test
    void vhostUserBlockReportsAsVirtioBlkWithAVhostUserBackend() {
        SimulatedVm spdk = new SimulatedVm(
                ReferenceMachines.transcriptGuest("spdk", UUID.randomUUID(), NetOptions.defaults(), 2, true), clock);
        VirtioStatus blk = spdk.observe(m -> m.device("blk0").status(true));
        assertEquals("virtio-blk", blk.name());
        assertTrue(blk.vhostStarted());
        assertFalse(blk.vhostDev().orElseThrow().protocolFeatures().protocols().isEmpty());
        assertEquals(2, blk.vhostDev().orElseThrow().nvqs(), "the backend runs every queue");
    }

    @Test
    void mergedRxBuffersOffIsNeitherOfferedNorAcked() {
        SimulatedVm off = new SimulatedVm(
                ReferenceMachines.transcriptGuest("off", UUID.randomUUID(), NetOptions.mergedRxBuffersOff()), clock);
        VirtioStatus net = off.observe(m -> m.device("net0").status(true));
        assertFalse(net.hostFeatures().symbols().contains("VIRTIO_NET_F_MRG_RXBUF"));
        assertFalse(net.guestFeatures().symbols().contains("VIRTIO_NET_F_MRG_RXBUF"));
    }

    private VirtQueueStatus queueStatus(String device, int queue) {
        return vm.observe(m -> m.device(device).queueStatus(queue));
    }

    private Map<String, List<RingCounters>> snapshot() {
        return vm.observe(m -> {
            Map<String, List<RingCounters>> all = new java.util.HashMap<>();
            for (VirtioDevice device : m.devicesNewestFirst()) {
                List<RingCounters> queues = new ArrayList<>();
                for (int q = 0; q < device.queueCount(); q++) {
                    queues.add(device.counters(q));
                }
                all.put(device.id(), queues);
            }
            return all;
        });
    }
}
