package dev.virtiofleet.sim.machine;

import dev.virtiofleet.sim.device.DeviceSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * A simulated VM: its name ({@code -name}), UUID and virtio devices in the order QEMU realized them.
 */
public record VmSpec(String name, UUID uuid, List<DeviceSpec> devices) {
    public VmSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("VM name must not be blank");
        }
        devices = List.copyOf(devices);
        Set<String> ids = new HashSet<>();
        for (DeviceSpec device : devices) {
            if (!ids.add(device.id())) {
                throw new IllegalArgumentException("VM " + name + " has two devices with id " + device.id());
            }
        }
    }
}
