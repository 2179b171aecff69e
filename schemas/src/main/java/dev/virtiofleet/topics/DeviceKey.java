package dev.virtiofleet.topics;

import dev.virtiofleet.avro.VirtioSample;
import java.util.Optional;

/**
 * Which device a sample belongs to: host, VM and QOM path; also the Kafka key of samples and
 * health records, so the agent and the streams application partition a device the same way. The VM is named by its UUID, falling back
 * to its name, so that a VM without a UUID is still tracked as one device per path.
 *
 * @param hostId hypervisor host
 * @param vm the VM's UUID, or its name when QEMU reported no UUID, or {@code "-"}
 * @param devicePath QOM path of the device
 */
public record DeviceKey(String hostId, String vm, String devicePath) {
    private static final String UNKNOWN_VM = "-";

    public static DeviceKey of(VirtioSample sample) {
        return of(sample.getHostId(), Optional.ofNullable(sample.getVmUuid()), Optional.ofNullable(sample.getVmName()),
                sample.getDevicePath());
    }

    /** The key of a sample read with another reader schema than VirtioSample's, from its fields. */
    public static DeviceKey of(String hostId, Optional<String> vmUuid, Optional<String> vmName, String devicePath) {
        return new DeviceKey(hostId, vmUuid.or(() -> vmName).orElse(UNKNOWN_VM), devicePath);
    }

    /** The Kafka record key of samples and health records: {@code hostId/vm/devicePath}. */
    public String asString() {
        return hostId + "/" + vm + "/" + devicePath;
    }
}
