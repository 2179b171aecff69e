package dev.virtiofleet.sim.qmp;

import static dev.virtiofleet.sim.qmp.Parameter.Type.STRING;
import static dev.virtiofleet.sim.qmp.Parameter.Type.UINT16;

import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.util.List;
import java.util.Optional;

/**
 * The five {@code x-query-virtio*} commands over QMP: {@link VirtioAnswers}' answers written as
 * JSON. Each runs atomically on the VM after it caught up with the clock.
 */
final class VirtioQueries {
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
                new Command(QapiReader.X_QUERY_VIRTIO, List.of(),
                        args -> vm.observe(machine -> QmpReply.of(QAPI.toJson(VirtioAnswers.devices(machine))))),
                new Command(QapiReader.X_QUERY_VIRTIO_STATUS, List.of(PATH), args -> {
                    String path = args.string("path");
                    return vm.observe(machine -> reply(VirtioAnswers.status(machine, path)));
                }),
                new Command(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, List.of(PATH, QUEUE), args -> {
                    String path = args.string("path");
                    int queue = args.uint16("queue");
                    return vm.observe(machine -> reply(VirtioAnswers.queueStatus(machine, path, queue)));
                }),
                new Command(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, List.of(PATH, QUEUE), args -> {
                    String path = args.string("path");
                    int queue = args.uint16("queue");
                    return vm.observe(machine -> reply(VirtioAnswers.vhostQueueStatus(machine, path, queue)));
                }),
                new Command(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT,
                        List.of(PATH, QUEUE, Parameter.optional("index", UINT16)), args -> {
                    String path = args.string("path");
                    int queue = args.uint16("queue");
                    Optional<Integer> index = args.optionalUint16("index");
                    return vm.observe(machine -> reply(VirtioAnswers.queueElement(machine, path, queue, index)));
                }));
    }

    private static QmpReply reply(VirtioAnswers.Answer<?> answer) {
        return switch (answer) {
            case VirtioAnswers.Value<?> value -> QmpReply.of(QAPI.toJson(value.get()));
            case VirtioAnswers.Failed<?> failed -> QmpReply.fail(failed.error());
        };
    }
}
