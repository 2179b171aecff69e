package dev.virtiofleet.sim.qmp;

import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What the five {@code x-query-virtio*} commands answer, as QAPI records before any JSON: QEMU
 * 7.2's checks in QEMU's order and its error texts. The QMP server writes these answers as JSON;
 * the direct-to-Kafka load maps them to Avro as they are. Call these inside {@link
 * SimulatedVm#observe}, so the VM has caught up with the clock and stays still while it is read:
 * the QMP server observes once per command, the direct load once per sweep of a VM.
 */
public final class VirtioAnswers {
    // QEMU's VIRTIO_QUEUE_MAX: queue numbers at or above it are invalid before anything else.
    private static final int VIRTIO_QUEUE_MAX = 1024;
    private static final String RING_PACKED = "VIRTIO_F_RING_PACKED";

    private VirtioAnswers() {}

    /** A command's answer: QEMU's {@code return} value, or its error. */
    public sealed interface Answer<T> {
        /** The value, or empty for an error. */
        Optional<T> value();
    }

    public record Value<T>(T get) implements Answer<T> {
        @Override
        public Optional<T> value() {
            return Optional.of(get);
        }
    }

    public record Failed<T>(QmpError error) implements Answer<T> {
        @Override
        public Optional<T> value() {
            return Optional.empty();
        }
    }

    /** {@code x-query-virtio}: every device, most recently realized first. */
    public static List<VirtioInfo> devices(SimulatedVm vm) {
        return vm.devicesNewestFirst().stream().map(VirtioDevice::info).toList();
    }

    /** {@code x-query-virtio-status}. */
    public static Answer<VirtioStatus> status(SimulatedVm vm, String path) {
        return onDevice(vm, path, device -> status(vm, device));
    }

    /** {@code x-query-virtio-queue-status}; on a vhost-user backend's queue this stops the ring, as QEMU does. */
    public static Answer<VirtQueueStatus> queueStatus(SimulatedVm vm, String path, int queue) {
        return onDevice(vm, path, device -> queueStatus(device, queue));
    }

    /** {@code x-query-virtio-vhost-queue-status}. */
    public static Answer<VirtVhostQueueStatus> vhostQueueStatus(SimulatedVm vm, String path, int queue) {
        return onDevice(vm, path, device -> vhostQueueStatus(device, queue));
    }

    /** {@code x-query-virtio-queue-element}, at {@code index} or QEMU's default, last-avail-idx. */
    public static Answer<VirtioQueueElement> queueElement(SimulatedVm vm, String path, int queue, Optional<Integer> index) {
        return onDevice(vm, path, device -> queueElement(device, queue, index));
    }

    /** What each of these commands answers for a path that is no device of the VM. */
    public static <T> Answer<T> noDeviceAt(String path) {
        return new Failed<>(QmpError.notAVirtioDevice(path));
    }

    /** {@code x-query-virtio-status} of a device of {@code vm}, found at the path asked for. */
    public static Answer<VirtioStatus> status(SimulatedVm vm, VirtioDevice device) {
        return new Value<>(device.status(vm.running()));
    }

    /** {@code x-query-virtio-queue-status} of a device found at the path asked for. */
    public static Answer<VirtQueueStatus> queueStatus(VirtioDevice device, int queue) {
        if (queue >= VIRTIO_QUEUE_MAX || !device.hasQueue(queue)) {
            return new Failed<>(QmpError.invalidQueue(queue));
        }
        return new Value<>(device.queueStatus(queue));
    }

    /** {@code x-query-virtio-vhost-queue-status} of a device found at the path asked for. */
    public static Answer<VirtVhostQueueStatus> vhostQueueStatus(VirtioDevice device, int queue) {
        if (!device.vhostStarted()) {
            return new Failed<>(QmpError.vhostNotStarted());
        }
        if (!device.vhostRuns(queue)) {
            return new Failed<>(QmpError.invalidVhostQueue(queue));
        }
        return new Value<>(device.vhostQueueStatus(queue));
    }

    /** {@code x-query-virtio-queue-element} of a device found at the path asked for. */
    public static Answer<VirtioQueueElement> queueElement(VirtioDevice device, int queue, Optional<Integer> index) {
        if (queue >= VIRTIO_QUEUE_MAX || !device.hasQueue(queue)) {
            return new Failed<>(QmpError.invalidQueue(queue));
        }
        if (device.guestAcked(FeatureCatalog.bitOf(device.spec().type().deviceId(), RING_PACKED).orElseThrow())) {
            return new Failed<>(QmpError.generic("Packed ring not supported"));
        }
        return new Value<>(device.queueElement(queue, index));
    }

    private static <T> Answer<T> onDevice(SimulatedVm vm, String path, Function<VirtioDevice, Answer<T>> query) {
        return vm.deviceAt(path).map(query).orElseGet(() -> noDeviceAt(path));
    }
}
