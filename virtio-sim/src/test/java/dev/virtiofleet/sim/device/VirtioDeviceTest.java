package dev.virtiofleet.sim.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.ring.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A device hands out its status record again while nothing it shows changed: after any sequence
 * of faults and recoveries the status must be what a new device, put through the same changes and
 * asked once, reports. And while its change count stays, every query answers as before.
 */
class VirtioDeviceTest {
    private static final List<DeviceSpec> DEVICES = List.of(
            LinuxGuestDevices.net("net0", NetOptions.defaults().withVhost(VhostKind.USER)),
            LinuxGuestDevices.net("net1", NetOptions.defaults().withVhost(VhostKind.KERNEL)),
            LinuxGuestDevices.blk("blk0", 2));

    @Test
    void aRepeatedStatusIsNeverStale() {
        Random random = new Random(7);
        for (DeviceSpec spec : DEVICES) {
            int deviceId = spec.type().deviceId();
            long packed = FeatureCatalog.encode(deviceId, List.of("VIRTIO_F_RING_PACKED"));
            long version1 = FeatureCatalog.encode(deviceId, List.of("VIRTIO_F_VERSION_1"));
            VirtioDevice device = new VirtioDevice(spec, new GuestMemory(GuestMemory.DEFAULT_BASE));
            List<Consumer<VirtioDevice>> applied = new ArrayList<>();
            for (int step = 0; step < 300; step++) {
                boolean running = random.nextBoolean();
                Consumer<VirtioDevice> change = switch (random.nextInt(7)) {
                    case 0 -> {
                        DeviceHealth health = DeviceHealth.values()[random.nextInt(DeviceHealth.values().length)];
                        yield d -> d.setHealth(health);
                    }
                    case 1 -> d -> d.ackUnoffered(packed);
                    case 2 -> d -> d.withholdFromGuest(version1);
                    case 3 -> d -> {
                        if (d.vhostStarted()) {
                            d.vhostAckBeyondGuest(version1);
                        }
                    };
                    case 4 -> VirtioDevice::restoreNegotiation;
                    default -> d -> {};
                };
                change.accept(device);
                applied.add(change);
                VirtioStatus status = device.status(running);
                VirtioDevice fresh = new VirtioDevice(spec, new GuestMemory(GuestMemory.DEFAULT_BASE));
                applied.forEach(c -> c.accept(fresh));
                assertEquals(fresh.status(running), status, spec.id() + " step " + step);
                assertSame(status, device.status(running), spec.id() + " step " + step + ": unchanged, the same record");
            }
        }
    }

    @Test
    void whileTheChangeCountStaysEveryAnswerStays() {
        Random random = new Random(11);
        int unchanged = 0;
        for (DeviceSpec spec : DEVICES) {
            for (boolean elements : List.of(false, true)) {
                unchanged += changedOnlyWithTheCount(spec, elements, random);
            }
        }
        assertTrue(unchanged > 100, "steps without a change: " + unchanged);
    }

    /** Random changes and readings of one kind; returns how many steps changed nothing. */
    private static int changedOnlyWithTheCount(DeviceSpec spec, boolean elements, Random random) {
        int unchanged = 0;
        VirtioDevice device = new VirtioDevice(spec, new GuestMemory(GuestMemory.DEFAULT_BASE));
        List<Object> before = answers(device, elements);
        long countedAfterReading = device.changes();
        for (int step = 0; step < 300; step++) {
            int queue = random.nextInt(device.queueCount());
            switch (random.nextInt(8)) {
                case 0 -> device.run(queue, random.nextInt(500));
                case 1 -> device.setCondition(queue, QueueCondition.values()[random.nextInt(QueueCondition.values().length)]);
                case 2 -> device.setGuestPolling(queue, random.nextBoolean());
                case 3 -> device.setHealth(DeviceHealth.values()[random.nextInt(DeviceHealth.values().length)]);
                case 4 -> device.restoreNegotiation();
                default -> { } // only asked again
            }
            boolean counted = device.changes() == countedAfterReading;
            List<Object> now = answers(device, elements);
            if (counted) {
                assertEquals(before, now, spec.id() + " step " + step + ": the count stayed");
                unchanged++;
            }
            before = now;
            countedAfterReading = device.changes();
        }
        return unchanged;
    }

    /**
     * What the device answers now to a reading as a sweep makes it: its status, then each queue's
     * status or, as for a vhost-user backend, each queue's element (which moves the shadow avail
     * index that a queue's status shows), and the vhost status of the queues vhost runs.
     */
    private static List<Object> answers(VirtioDevice device, boolean elements) {
        List<Object> answers = new ArrayList<>();
        answers.add(device.status(true));
        for (int q = 0; q < device.queueCount(); q++) {
            answers.add(elements ? device.queueElement(q, Optional.empty()) : device.queueStatus(q));
            if (device.vhostRuns(q)) {
                answers.add(device.vhostQueueStatus(q));
            }
        }
        return answers;
    }
}
