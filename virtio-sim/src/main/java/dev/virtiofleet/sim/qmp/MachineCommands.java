package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.util.List;

/** The run-state and identity commands a poller or a test needs besides the virtio queries. */
final class MachineCommands {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final SimulatedVm vm;
    private final QemuVersion version;

    MachineCommands(SimulatedVm vm, QemuVersion version) {
        this.vm = vm;
        this.version = version;
    }

    List<Command> commands() {
        return List.of(
                new Command("query-status", List.of(), args -> QmpReply.of(runState())),
                new Command("query-name", List.of(), args -> QmpReply.of(JSON.objectNode().put("name", vm.name()))),
                new Command("query-uuid", List.of(), args -> QmpReply.of(JSON.objectNode().put("UUID", vm.uuid().toString()))),
                new Command("query-version", List.of(), args -> QmpReply.of(versionJson(version))),
                new Command("stop", List.of(), args -> {
                    vm.stop();
                    return QmpReply.of(JSON.objectNode());
                }),
                new Command("cont", List.of(), args -> {
                    vm.cont();
                    return QmpReply.of(JSON.objectNode());
                }));
    }

    /** {@code {"qemu": {"major": .., "minor": .., "micro": ..}, "package": ..}}, as in the greeting (QAPI order). */
    static ObjectNode versionJson(QemuVersion version) {
        ObjectNode result = JSON.objectNode();
        result.putObject("qemu").put("major", version.major()).put("minor", version.minor()).put("micro", version.micro());
        result.put("package", version.packageName());
        return result;
    }

    private ObjectNode runState() {
        RunStatus state = RunStatus.of(vm);
        return JSON.objectNode().put("running", state.running()).put("singlestep", false).put("status", state.status());
    }
}
