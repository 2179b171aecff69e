package dev.virtiofleet.sim.device;

import dev.virtiofleet.qapi.features.VirtioDeviceType;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A virtio device as a guest found and configured it.
 *
 * @param id the {@code -device ...,id=} name; the QOM path is {@code /machine/peripheral/<id>/virtio-backend}
 * @param type device type (id and QEMU name)
 * @param busName {@code bus-name}: the child bus a device provides ({@code scsi0.0}), else empty
 * @param isr last interrupt status QEMU holds
 * @param hostFeatures feature word QEMU offers
 * @param guestFeatures feature word the driver acked
 * @param queues the queues in index order
 * @param vhost the vhost backend, if the data path runs outside QEMU
 */
public record DeviceSpec(
        String id,
        VirtioDeviceType type,
        String busName,
        int isr,
        long hostFeatures,
        long guestFeatures,
        List<QueueSpec> queues,
        Optional<VhostSpec> vhost) {
    private static final Pattern QOM_ID = Pattern.compile("[A-Za-z][A-Za-z0-9_.-]*");

    public DeviceSpec {
        if (id == null || !QOM_ID.matcher(id).matches()) {
            throw new IllegalArgumentException("device id must start with a letter and contain only letters, digits, "
                    + "'-', '_', '.', got " + id);
        }
        queues = List.copyOf(queues);
        if (queues.isEmpty()) {
            throw new IllegalArgumentException("device " + id + " needs at least one queue");
        }
        if (isr < 0 || isr > 255) {
            throw new IllegalArgumentException("isr is a byte, got " + isr + " for device " + id);
        }
        int queueCount = queues.size();
        if (vhost.filter(v -> v.firstQueue() + v.queueCount() > queueCount).isPresent()) {
            throw new IllegalArgumentException("vhost backend of " + id + " runs queues beyond the device's "
                    + queueCount);
        }
    }

    public String path() {
        return "/machine/peripheral/" + id + "/virtio-backend";
    }
}
