package dev.virtiofleet.sim.qmp;

import static dev.virtiofleet.sim.qmp.Parameter.Type.STRING;
import static dev.virtiofleet.sim.qmp.Parameter.Type.UINT16;

import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The five {@code x-query-virtio*} commands with QEMU 7.2's checks, in QEMU's order, and its
 * error texts. Each runs atomically on the VM after it caught up with the clock.
 */
final class VirtioQueries {
    // QEMU's VIRTIO_QUEUE_MAX: queue numbers at or above it are invalid before anything else.
    private static final int VIRTIO_QUEUE_MAX = 1024;
    private static final String RING_PACKED = "VIRTIO_F_RING_PACKED";
    private static final Parameter PATH = Parameter.required("path", STRING);
    private static final Parameter QUEUE = Parameter.required("queue", UINT16);

    // One for all sessions: the mapper's serializer cache is what makes writing records cheap.
    private static final QapiReader QAPI = new QapiReader();

    private final SimulatedVm vm;

    VirtioQueries(SimulatedVm vm) {
        this.vm = vm;
    }

    List<Command> commands() {
        return List.of(
                new Command(QapiReader.X_QUERY_VIRTIO, List.of(), args -> vm.observe(this::listDevices)),
                new Command(QapiReader.X_QUERY_VIRTIO_STATUS, List.of(PATH), this::status),
                new Command(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, List.of(PATH, QUEUE), this::queueStatus),
                new Command(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, List.of(PATH, QUEUE), this::vhostQueueStatus),
                new Command(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT,
                        List.of(PATH, QUEUE, Parameter.optional("index", UINT16)), this::queueElement));
    }

    private QmpReply listDevices(SimulatedVm machine) {
        return QmpReply.of(QAPI.toJson(machine.devicesNewestFirst().stream().map(VirtioDevice::info).toList()));
    }

    private QmpReply status(Arguments args) {
        return onDevice(args, device -> QmpReply.of(QAPI.toJson(device.status(vm.running()))));
    }

    private QmpReply queueStatus(Arguments args) {
        int queue = args.uint16("queue");
        return onDevice(args, device -> {
            if (queue >= VIRTIO_QUEUE_MAX || !device.hasQueue(queue)) {
                return QmpReply.fail(QmpError.invalidQueue(queue));
            }
            return QmpReply.of(QAPI.toJson(device.queueStatus(queue)));
        });
    }

    private QmpReply vhostQueueStatus(Arguments args) {
        int queue = args.uint16("queue");
        return onDevice(args, device -> {
            if (!device.vhostStarted()) {
                return QmpReply.fail(QmpError.vhostNotStarted());
            }
            if (!device.vhostRuns(queue)) {
                return QmpReply.fail(QmpError.invalidVhostQueue(queue));
            }
            return QmpReply.of(QAPI.toJson(device.vhostQueueStatus(queue)));
        });
    }

    private QmpReply queueElement(Arguments args) {
        int queue = args.uint16("queue");
        Optional<Integer> index = args.optionalUint16("index");
        return onDevice(args, device -> {
            if (queue >= VIRTIO_QUEUE_MAX || !device.hasQueue(queue)) {
                return QmpReply.fail(QmpError.invalidQueue(queue));
            }
            if (device.guestAcked(FeatureCatalog.bitOf(device.spec().type().deviceId(), RING_PACKED).orElseThrow())) {
                return QmpReply.fail(QmpError.generic("Packed ring not supported"));
            }
            return QmpReply.of(QAPI.toJson(device.queueElement(queue, index)));
        });
    }

    private QmpReply onDevice(Arguments args, Function<VirtioDevice, QmpReply> query) {
        String path = args.string("path");
        return vm.observe(machine -> machine.deviceAt(path)
                .map(query)
                .orElseGet(() -> QmpReply.fail(QmpError.notAVirtioDevice(path))));
    }
}
