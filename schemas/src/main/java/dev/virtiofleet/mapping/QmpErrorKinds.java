package dev.virtiofleet.mapping;

import dev.virtiofleet.avro.CommandErrorKind;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a QMP error means, from its class and QEMU's desc: most errors of the virtio queries are
 * expected (DESIGN.md, "QMP, as QEMU really speaks it"). One classification for every producer of
 * samples, the agent and the simulator's direct load alike.
 */
public final class QmpErrorKinds {
    private static final Pattern INVALID_QUEUE = Pattern.compile("Invalid (vhost )?virtqueue number");
    private static final Pattern NOT_A_VIRTIO_DEVICE = Pattern.compile("is not a (realized )?VirtIODevice");

    private QmpErrorKinds() {}

    public static CommandErrorKind classify(String errorClass, String desc) {
        if ("CommandNotFound".equals(errorClass)) {
            return CommandErrorKind.COMMAND_NOT_FOUND;
        } else if (desc.contains("Region caches not initialized")) {
            return CommandErrorKind.REGION_CACHES_NOT_INITIALIZED;
        } else if (desc.contains("vhost device has not started yet")) {
            return CommandErrorKind.VHOST_NOT_STARTED;
        } else if (INVALID_QUEUE.matcher(desc).find()) {
            return CommandErrorKind.INVALID_QUEUE;
        } else if (NOT_A_VIRTIO_DEVICE.matcher(desc).find()) {
            return CommandErrorKind.NOT_A_VIRTIO_DEVICE;
        } else if (desc.contains("No virtio devices found")) {
            return CommandErrorKind.NO_VIRTIO_DEVICES;
        } else if (desc.toLowerCase(Locale.ROOT).contains("packed ring not supported")) {
            return CommandErrorKind.PACKED_RING_NOT_SUPPORTED;
        }
        return CommandErrorKind.QMP_ERROR;
    }
}
