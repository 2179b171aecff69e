package dev.virtiofleet.sim.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.mapping.QmpErrorKinds;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.VhostDeviceProtocols;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.qmp.QmpError;
import dev.virtiofleet.sim.qmp.QmpSession;
import dev.virtiofleet.sim.qmp.RunStatus;
import dev.virtiofleet.sim.qmp.VirtioAnswers;
import dev.virtiofleet.sim.qmp.VirtioAnswers.Answer;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Reads one simulated VM as the agent's full sweep does, but in process, into one {@link
 * VirtioSample} per device. Every queue is read on every sweep, as the agent does (the direct path
 * skips a device the model tells it did not change, whose answers would all be the same); a
 * started vhost-user backend's queue status is not asked for (it would stop the ring), its queues
 * are followed through vhost queue status and queue elements instead.
 *
 * <p>Two ways to ask, one sweep: {@link #direct} takes the VM's answers ({@link VirtioAnswers}) as
 * QAPI records, the fast path of the direct-to-Kafka load; {@link #overQmp} sends the same
 * commands to the VM's own {@link QmpSession} as JSON text and reads the replies as the agent
 * does, with {@link QapiReader}. Either way the records become Avro through {@link QapiToAvro}
 * and the sample is put together here, so both produce the same sample for the same VM state
 * (timing fields aside). Samples are read-only: a part that did not change since the device's
 * previous sample (an idle queue's status, an unchanged device's list of queues) may be the same
 * Avro record or list, and equal device statuses of different VMs may be too. Not thread-safe: one
 * sweep at a time.
 */
public final class InProcessSweep {
    private static final String VHOST_USER_SKIPPED = "not sent: the device's vhost-user backend is started, and this "
            + "query would send GET_VRING_BASE, which stops the ring";

    // Statuses as mapped, for every sweep in the process; read-only like all the sweeps' Avro records.
    private static final Map<VirtioStatus, dev.virtiofleet.avro.VirtioStatus> STATUSES = new ConcurrentHashMap<>();
    private static final int MAX_SHARED_STATUSES = 4096;

    private final SimulatedVm vm;
    private final InstantSource clock;
    private final dev.virtiofleet.avro.QemuVersion qemuVersion;
    private final Optional<QmpPort> qmp;
    private final String vmUuid;
    private final Map<String, Mappings> mappings = new HashMap<>();
    private final Listing listing = new Listing();

    private InProcessSweep(SimulatedVm vm, QemuVersion version, InstantSource clock, boolean overQmp) {
        this.vm = vm;
        this.vmUuid = vm.uuid().toString();
        this.clock = clock;
        this.qemuVersion = new dev.virtiofleet.avro.QemuVersion(version.major(), version.minor(), version.micro(),
                version.packageName());
        this.qmp = overQmp ? Optional.of(new QmpPort(vm, version)) : Optional.empty();
    }

    /** Reads the VM's answers as QAPI records, without JSON; the VM holds still for a whole sweep. */
    public static InProcessSweep direct(SimulatedVm vm, QemuVersion version, InstantSource clock) {
        return new InProcessSweep(vm, version, clock, false);
    }

    /** Reads the VM over its QMP session as JSON text, as the agent does; each command sees the VM anew. */
    public static InProcessSweep overQmp(SimulatedVm vm, QemuVersion version, InstantSource clock) {
        return new InProcessSweep(vm, version, clock, true);
    }

    public SimulatedVm vm() {
        return vm;
    }

    /** One sweep: a sample per device, stamped with {@code run}'s host, run id and next sequence numbers. */
    public List<VirtioSample> sweep(HostRun run) {
        if (qmp.isPresent()) {
            return sweep(qmp.get(), run);
        }
        return vm.observe(machine -> sweep(new DirectPort(machine, listing), run));
    }

    private List<VirtioSample> sweep(Port port, HostRun run) {
        RunStatus runState = port.runStatus();
        Optional<List<VirtioInfo>> listed = port.devices();
        List<VirtioSample> samples = new ArrayList<>();
        if (listed.isEmpty()) {
            return samples;
        }
        for (VirtioInfo device : listed.get()) {
            samples.add(readDevice(port, device, run, runState));
        }
        if (mappings.size() > listed.get().size()) {
            mappings.keySet().retainAll(listed.get().stream().map(VirtioInfo::path).toList());
        }
        return samples;
    }

    private VirtioSample readDevice(Port port, VirtioInfo device, HostRun run, RunStatus runState) {
        long started = System.nanoTime();
        Instant readAt = clock.instant();
        String path = device.path();
        Mappings mapped = mappings.computeIfAbsent(path, p -> new Mappings());
        List<CommandError> statusErrors = new ArrayList<>(1);
        VirtioStatus status = valueOf(port.status(path), QapiReader.X_QUERY_VIRTIO_STATUS, null, statusErrors);
        QueueReading queues = status == null ? new QueueReading(List.of(), statusErrors)
                : mapped.queues(status, port, path, () -> readQueues(port, path, status, mapped));
        // The all-fields constructor: the builder would check every field, on every sample.
        return new VirtioSample(run.hostId(), run.runId(), run.nextSequence(), readAt,
                (System.nanoTime() - started) / 1000, vm.name(), vmUuid, qemuVersion, runState.status(),
                runState.running(), path, device.name(),
                status == null ? null : mapped.status.map(status, InProcessSweep::mapStatus),
                queues.samples(), queues.errors());
    }

    /** Every queue of a device whose status was read: the queues' samples and the errors of their queries. */
    private static QueueReading readQueues(Port port, String path, VirtioStatus status, Mappings mapped) {
        List<CommandError> errors = new ArrayList<>();
        List<QueueSample> queues = new ArrayList<>((int) status.numVqs());
        boolean vhostUser = vhostUserStarted(status);
        boolean vhostStarted = status.vhostStarted();
        for (int q = 0; q < status.numVqs(); q++) {
            dev.virtiofleet.avro.VirtQueueStatus queueStatus = null;
            dev.virtiofleet.avro.VirtVhostQueueStatus vhostQueueStatus = null;
            dev.virtiofleet.avro.VirtioQueueElement element = null;
            if (vhostUser) {
                errors.add(mapped.skippedUnsafe(q));
                VirtioQueueElement read = valueOf(port.queueElement(path, q), QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, q, errors);
                if (read != null) {
                    element = QapiToAvro.queueElement(read);
                }
            } else {
                VirtQueueStatus read = valueOf(port.queueStatus(path, q), QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, q, errors);
                if (read != null) {
                    queueStatus = mapped.queue(q).status.map(read, QapiToAvro::queueStatus);
                }
            }
            if (vhostStarted) {
                VirtVhostQueueStatus read = valueOf(port.vhostQueueStatus(path, q),
                        QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, q, errors);
                if (read != null) {
                    vhostQueueStatus = mapped.queue(q).vhostStatus.map(read, QapiToAvro::vhostQueueStatus);
                }
            }
            queues.add(mapped.queue(q).sample(q, queueStatus, vhostQueueStatus, element));
        }
        return new QueueReading(queues, errors);
    }

    /**
     * A device status as Avro. Copies of one VM (a scaled fleet) have equal statuses, device for
     * device, so one mapping serves them all; it is the costly one (every feature list).
     */
    private static dev.virtiofleet.avro.VirtioStatus mapStatus(VirtioStatus status) {
        if (STATUSES.size() > MAX_SHARED_STATUSES) {
            STATUSES.clear();
        }
        return STATUSES.computeIfAbsent(status, QapiToAvro::status);
    }

    /** As the agent tells a vhost-user backend: started, with vhost-user protocol features negotiated. */
    private static boolean vhostUserStarted(VirtioStatus status) {
        return status.vhostStarted() && status.vhostDev().map(v -> negotiated(v.protocolFeatures())).orElse(true);
    }

    private static boolean negotiated(VhostDeviceProtocols protocols) {
        return !protocols.protocols().isEmpty() || protocols.unknownProtocols().orElse(0L) != 0;
    }

    /** The answer's value, or null after adding its error to the sample's errors, as data. */
    private static <T> T valueOf(Answer<T> answer, String command, Integer queue, List<CommandError> errors) {
        return switch (answer) {
            case VirtioAnswers.Value<T> value -> value.get();
            case VirtioAnswers.Failed<T> failed -> {
                errors.add(error(command, queue, QmpErrorKinds.classify(failed.error().errorClass(), failed.error().desc()),
                        failed.error().errorClass(), failed.error().desc()));
                yield null;
            }
        };
    }

    private static CommandError error(String command, Integer queue, CommandErrorKind kind, String errorClass,
            String description) {
        return CommandError.newBuilder().setCommand(command).setQueueIndex(queue).setKind(kind)
                .setErrorClass(errorClass).setDescription(description).build();
    }

    /**
     * One device's QAPI records as last mapped to Avro. The model hands out the same record while
     * what it reports is unchanged (most queues of a VM are idle), so mapping it again would only
     * repeat the same work; the Avro record is then shared with the device's earlier sample.
     */
    private static final class Mappings {
        final Mapped<VirtioStatus, dev.virtiofleet.avro.VirtioStatus> status = new Mapped<>();
        private final List<QueueMappings> queues = new ArrayList<>();
        private final List<CommandError> skippedUnsafe = new ArrayList<>();
        private QueueReading lastReading;
        private VirtioStatus lastReadingStatus;
        private OptionalLong changesAfterLastReading = OptionalLong.empty();

        /**
         * The device's queues: read anew, or the previous reading again while the port tells that
         * the device did not change since then and its status is the very same record (which fixes
         * the queue count and how each queue is asked). Reading them costs a query per queue and
         * most devices of a VM sit idle: a virtio-serial has 64 queues.
         */
        QueueReading queues(VirtioStatus status, Port port, String path, Supplier<QueueReading> read) {
            OptionalLong changes = port.changes(path);
            if (lastReading != null && status == lastReadingStatus && changes.isPresent()
                    && changes.equals(changesAfterLastReading)) {
                return lastReading;
            }
            lastReading = read.get();
            lastReadingStatus = status;
            // Counted after the reading, which may have moved the device itself (an element read
            // refreshes the shadow avail index). It asks each queue for its status or its element,
            // never both, so with nothing changed since, asking again would answer the same.
            changesAfterLastReading = port.changes(path);
            return lastReading;
        }

        QueueMappings queue(int queue) {
            while (queues.size() <= queue) {
                queues.add(new QueueMappings());
            }
            return queues.get(queue);
        }

        /** The same for every sweep: queue status not sent to a started vhost-user backend. */
        CommandError skippedUnsafe(int queue) {
            while (skippedUnsafe.size() <= queue) {
                skippedUnsafe.add(error(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, skippedUnsafe.size(),
                        CommandErrorKind.SKIPPED_UNSAFE, null, VHOST_USER_SKIPPED));
            }
            return skippedUnsafe.get(queue);
        }
    }

    private static final class QueueMappings {
        final Mapped<VirtQueueStatus, dev.virtiofleet.avro.VirtQueueStatus> status = new Mapped<>();
        final Mapped<VirtVhostQueueStatus, dev.virtiofleet.avro.VirtVhostQueueStatus> vhostStatus = new Mapped<>();
        private QueueSample last;

        /** The queue's sample; the previous one again if it is made of the very same parts. */
        QueueSample sample(int queue, dev.virtiofleet.avro.VirtQueueStatus queueStatus,
                dev.virtiofleet.avro.VirtVhostQueueStatus vhostQueueStatus, dev.virtiofleet.avro.VirtioQueueElement element) {
            if (last == null || last.getStatus() != queueStatus || last.getVhostStatus() != vhostQueueStatus
                    || last.getElement() != element || last.getQueueIndex() != queue) {
                // The all-fields constructor: the builder's per-field checks were 2 % of a direct-load thread's CPU samples.
                last = new QueueSample(queue, queueStatus, vhostQueueStatus, element);
            }
            return last;
        }
    }

    /** A device's queue samples, in queue order, and the errors their queries answered. */
    private record QueueReading(List<QueueSample> samples, List<CommandError> errors) {}

    /** The mapping of the record last seen, by identity: the very same record maps to the very same result. */
    private static final class Mapped<Q, A> {
        private Q from;
        private A to;

        A map(Q record, Function<Q, A> mapping) {
            if (record != from) {
                to = mapping.apply(record);
                from = record;
            }
            return to;
        }
    }

    /** How a sweep asks the VM: the commands the sweep sends, with their answers. */
    private interface Port {
        RunStatus runStatus();

        /** {@code x-query-virtio}; empty when it failed. */
        Optional<List<VirtioInfo>> devices();

        Answer<VirtioStatus> status(String path);

        Answer<VirtQueueStatus> queueStatus(String path, int queue);

        Answer<VirtVhostQueueStatus> vhostQueueStatus(String path, int queue);

        Answer<VirtioQueueElement> queueElement(String path, int queue);

        /** The device's {@link VirtioDevice#changes() change count}, where the port can see it. */
        OptionalLong changes(String path);
    }

    /**
     * The VM's {@code x-query-virtio} answer as last made, made again only when its device list
     * changed (which the VM tells by handing out another list): the sweep lists the devices every time.
     */
    private static final class Listing {
        private List<VirtioDevice> devices = List.of();
        private List<VirtioInfo> infos = List.of();

        List<VirtioInfo> infos(SimulatedVm machine) {
            List<VirtioDevice> current = machine.devicesNewestFirst();
            if (current != devices) {
                infos = VirtioAnswers.devices(machine);
                devices = current;
            }
            return infos;
        }
    }

    /** The VM's answers as they are, inside one {@link SimulatedVm#observe}. */
    private static final class DirectPort implements Port {
        private final SimulatedVm machine;
        private final Listing listing;
        // The device asked about last: a sweep asks about one device's queues one after another.
        private String lastPath;
        private Optional<VirtioDevice> lastDevice = Optional.empty();

        DirectPort(SimulatedVm machine, Listing listing) {
            this.machine = machine;
            this.listing = listing;
        }

        @Override
        public RunStatus runStatus() {
            return RunStatus.of(machine);
        }

        @Override
        public Optional<List<VirtioInfo>> devices() {
            return Optional.of(listing.infos(machine));
        }

        @Override
        public Answer<VirtioStatus> status(String path) {
            Optional<VirtioDevice> device = deviceAt(path);
            return device.isPresent() ? VirtioAnswers.status(machine, device.get()) : VirtioAnswers.noDeviceAt(path);
        }

        @Override
        public Answer<VirtQueueStatus> queueStatus(String path, int queue) {
            Optional<VirtioDevice> device = deviceAt(path);
            return device.isPresent() ? VirtioAnswers.queueStatus(device.get(), queue) : VirtioAnswers.noDeviceAt(path);
        }

        @Override
        public Answer<VirtVhostQueueStatus> vhostQueueStatus(String path, int queue) {
            Optional<VirtioDevice> device = deviceAt(path);
            return device.isPresent() ? VirtioAnswers.vhostQueueStatus(device.get(), queue) : VirtioAnswers.noDeviceAt(path);
        }

        @Override
        public Answer<VirtioQueueElement> queueElement(String path, int queue) {
            Optional<VirtioDevice> device = deviceAt(path);
            return device.isPresent() ? VirtioAnswers.queueElement(device.get(), queue, Optional.empty())
                    : VirtioAnswers.noDeviceAt(path);
        }

        @Override
        public OptionalLong changes(String path) {
            Optional<VirtioDevice> device = deviceAt(path);
            return device.isPresent() ? OptionalLong.of(device.get().changes()) : OptionalLong.empty();
        }

        // The VM holds still for the whole sweep, so a device found once stays where it was. The
        // sweep asks with the listed paths themselves: an equal path that is another string is only looked up again.
        private Optional<VirtioDevice> deviceAt(String path) {
            if (path != lastPath) {
                lastDevice = machine.deviceAt(path);
                lastPath = path;
            }
            return lastDevice;
        }
    }

    /**
     * The agent's contract path: JSON requests to the VM's QMP session, replies read strictly with
     * {@link QapiReader}. The simulator writes these replies itself, so one that does not decode is
     * a simulator bug, not data.
     */
    private static final class QmpPort implements Port {
        private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
        private static final QapiReader READER = new QapiReader();

        private final String vmName;
        private final QmpSession session;

        QmpPort(SimulatedVm vm, QemuVersion version) {
            this.vmName = vm.name();
            this.session = new QmpSession(vm, version);
            JsonNode negotiated = session.handle("{\"execute\":\"qmp_capabilities\"}");
            if (!negotiated.has("return")) {
                throw new IllegalStateException("VM " + vm.name() + " refused capabilities negotiation: " + negotiated);
            }
        }

        @Override
        public RunStatus runStatus() {
            JsonNode status = execute("query-status", JSON.objectNode()).path("return");
            if (status.isMissingNode()) {
                throw new IllegalStateException("VM " + vmName + " did not answer query-status");
            }
            return new RunStatus(status.path("status").asText(), status.path("running").asBoolean());
        }

        @Override
        public Optional<List<VirtioInfo>> devices() {
            JsonNode response = execute(QapiReader.X_QUERY_VIRTIO, JSON.objectNode());
            if (!response.has("return")) {
                return Optional.empty();
            }
            return Optional.of(decode(() -> READER.virtioDevices(response.get("return"))));
        }

        @Override
        public Answer<VirtioStatus> status(String path) {
            return query(QapiReader.X_QUERY_VIRTIO_STATUS, path, null, READER::virtioStatus);
        }

        @Override
        public Answer<VirtQueueStatus> queueStatus(String path, int queue) {
            return query(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, path, queue, READER::queueStatus);
        }

        @Override
        public Answer<VirtVhostQueueStatus> vhostQueueStatus(String path, int queue) {
            return query(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, path, queue, READER::vhostQueueStatus);
        }

        @Override
        public Answer<VirtioQueueElement> queueElement(String path, int queue) {
            return query(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, path, queue, READER::queueElement);
        }

        /** The agent sees no more of a device than QMP tells: it reads every queue on every sweep. */
        @Override
        public OptionalLong changes(String path) {
            return OptionalLong.empty();
        }

        private <T> Answer<T> query(String command, String path, Integer queue, Decoder<T> decoder) {
            ObjectNode arguments = JSON.objectNode().put("path", path);
            if (queue != null) {
                arguments.put("queue", queue);
            }
            JsonNode response = execute(command, arguments);
            if (response.has("return")) {
                return new VirtioAnswers.Value<>(decode(() -> decoder.decode(response.get("return"))));
            }
            JsonNode error = response.path("error");
            return new VirtioAnswers.Failed<>(new QmpError(error.path("class").asText(), error.path("desc").asText()));
        }

        private JsonNode execute(String command, ObjectNode arguments) {
            ObjectNode request = JSON.objectNode().put("execute", command);
            if (!arguments.isEmpty()) {
                request.set("arguments", arguments);
            }
            return session.handle(request.toString());
        }

        private <T> T decode(Decoding<T> decoding) {
            try {
                return decoding.decode();
            } catch (QapiDecodeException e) {
                throw new IllegalStateException("VM " + vmName + ": the simulator's reply does not decode: " + e.getMessage(), e);
            }
        }

        private interface Decoder<T> {
            T decode(JsonNode reply) throws QapiDecodeException;
        }

        private interface Decoding<T> {
            T decode() throws QapiDecodeException;
        }
    }
}
