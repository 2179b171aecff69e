package dev.virtiofleet.sim.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.ring.GuestMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A device hands out its status record again while nothing it shows changed: after any sequence
 * of faults and recoveries the status must be what a new device, put through the same changes and
 * asked once, reports.
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
}
