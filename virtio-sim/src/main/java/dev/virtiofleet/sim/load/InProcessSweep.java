package dev.virtiofleet.sim.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.VhostDeviceProtocols;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.qmp.QmpSession;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads one simulated VM as the agent's full sweep does, but in process: the same commands go to
 * the VM's own {@link QmpSession} as JSON text, and its reply JSON takes the agent's contract path,
 * {@link QapiReader} then {@link QapiToAvro}, into one {@link VirtioSample} per device. Every queue
 * is read on every sweep; a started vhost-user backend's queue status is not asked for (it would
 * stop the ring), its queues are followed through vhost queue status and queue elements instead.
 * Not thread-safe: one sweep at a time.
 */
public final class InProcessSweep {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final QapiReader READER = new QapiReader();
    private static final String VHOST_USER_SKIPPED = "not sent: the device's vhost-user backend is started, and this "
            + "query would send GET_VRING_BASE, which stops the ring";

    private final SimulatedVm vm;
    private final QmpSession session;
    private final InstantSource clock;
    private final dev.virtiofleet.avro.QemuVersion qemuVersion;

    public InProcessSweep(SimulatedVm vm, QemuVersion version, InstantSource clock) {
        this.vm = vm;
        this.clock = clock;
        this.session = new QmpSession(vm, version);
        this.qemuVersion = new dev.virtiofleet.avro.QemuVersion(version.major(), version.minor(), version.micro(),
                version.packageName());
        JsonNode negotiated = session.handle("{\"execute\":\"qmp_capabilities\"}");
        if (!negotiated.has("return")) {
            throw new IllegalStateException("VM " + vm.name() + " refused capabilities negotiation: " + negotiated);
        }
    }

    public SimulatedVm vm() {
        return vm;
    }

    /** One sweep: a sample per device, stamped with {@code run}'s host, run id and next sequence numbers. */
    public List<VirtioSample> sweep(HostRun run) {
        JsonNode status = execute("query-status", JSON.objectNode()).orElseThrow();
        Optional<JsonNode> listed = execute(QapiReader.X_QUERY_VIRTIO, JSON.objectNode());
        List<VirtioSample> samples = new ArrayList<>();
        if (listed.isEmpty()) {
            return samples;
        }
        try {
            for (VirtioInfo device : READER.virtioDevices(listed.get())) {
                samples.add(readDevice(device, run, status));
            }
        } catch (QapiDecodeException e) {
            throw new IllegalStateException("the simulator's x-query-virtio reply does not decode: " + e.getMessage(), e);
        }
        return samples;
    }

    private VirtioSample readDevice(VirtioInfo device, HostRun run, JsonNode runState) throws QapiDecodeException {
        long started = System.nanoTime();
        List<CommandError> errors = new ArrayList<>();
        List<QueueSample> queues = new ArrayList<>();
        var readAt = clock.instant();
        Optional<VirtioStatus> status = query(QapiReader.X_QUERY_VIRTIO_STATUS, device.path(), Optional.empty(), errors)
                .map(this::decodeStatus);
        if (status.isPresent()) {
            boolean vhostUser = vhostUserStarted(status.get());
            for (int q = 0; q < status.get().numVqs(); q++) {
                Optional<Integer> queue = Optional.of(q);
                QueueSample.Builder sample = QueueSample.newBuilder().setQueueIndex(q);
                if (vhostUser) {
                    errors.add(error(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, queue, CommandErrorKind.SKIPPED_UNSAFE, null,
                            VHOST_USER_SKIPPED));
                    query(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, device.path(), queue, errors)
                            .ifPresent(e -> sample.setElement(QapiToAvro.queueElement(decode(() -> READER.queueElement(e)))));
                } else {
                    query(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, device.path(), queue, errors)
                            .ifPresent(s -> sample.setStatus(QapiToAvro.queueStatus(decode(() -> READER.queueStatus(s)))));
                }
                if (status.get().vhostStarted()) {
                    query(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, device.path(), queue, errors)
                            .ifPresent(v -> sample.setVhostStatus(QapiToAvro.vhostQueueStatus(decode(() -> READER.vhostQueueStatus(v)))));
                }
                queues.add(sample.build());
            }
        }
        return VirtioSample.newBuilder()
                .setHostId(run.hostId())
                .setAgentRunId(run.runId())
                .setAgentSequence(run.nextSequence())
                .setEventTime(readAt)
                .setPollDurationMicros((System.nanoTime() - started) / 1000)
                .setVmName(vm.name())
                .setVmUuid(vm.uuid().toString())
                .setQemuVersion(qemuVersion)
                .setVmRunState(runState.path("status").asText())
                .setVmRunning(runState.path("running").asBoolean())
                .setDevicePath(device.path())
                .setDeviceName(device.name())
                .setStatus(status.map(QapiToAvro::status).orElse(null))
                .setQueues(queues)
                .setErrors(errors)
                .build();
    }

    /** As the agent tells a vhost-user backend: started, with vhost-user protocol features negotiated. */
    private static boolean vhostUserStarted(VirtioStatus status) {
        return status.vhostStarted() && status.vhostDev().map(v -> negotiated(v.protocolFeatures())).orElse(true);
    }

    private static boolean negotiated(VhostDeviceProtocols protocols) {
        return !protocols.protocols().isEmpty() || protocols.unknownProtocols().orElse(0L) != 0;
    }

    private VirtioStatus decodeStatus(JsonNode reply) {
        return decode(() -> READER.virtioStatus(reply));
    }

    private Optional<JsonNode> query(String command, String path, Optional<Integer> queue, List<CommandError> errors) {
        ObjectNode arguments = JSON.objectNode().put("path", path);
        queue.ifPresent(q -> arguments.put("queue", q));
        JsonNode response = session.handle(request(command, arguments));
        if (response.has("return")) {
            return Optional.of(response.get("return"));
        }
        JsonNode error = response.path("error");
        errors.add(error(command, queue, CommandErrorKind.QMP_ERROR, error.path("class").asText(), error.path("desc").asText()));
        return Optional.empty();
    }

    private Optional<JsonNode> execute(String command, ObjectNode arguments) {
        JsonNode response = session.handle(request(command, arguments));
        return Optional.ofNullable(response.get("return"));
    }

    private static String request(String command, ObjectNode arguments) {
        ObjectNode request = JSON.objectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", arguments);
        }
        return request.toString();
    }

    private static CommandError error(String command, Optional<Integer> queue, CommandErrorKind kind, String errorClass,
            String description) {
        return CommandError.newBuilder().setCommand(command).setQueueIndex(queue.orElse(null)).setKind(kind)
                .setErrorClass(errorClass).setDescription(description).build();
    }

    private interface Decoding<T> {
        T decode() throws QapiDecodeException;
    }

    // The simulator writes these replies itself: one that does not decode is a simulator bug, not data.
    private <T> T decode(Decoding<T> decoding) {
        try {
            return decoding.decode();
        } catch (QapiDecodeException e) {
            throw new IllegalStateException("VM " + vm.name() + ": the simulator's reply does not decode: " + e.getMessage(), e);
        }
    }
}
