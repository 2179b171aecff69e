package dev.virtiofleet.agent.poll;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.virtiofleet.agent.qmp.AvailableCommands;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpCommand;
import dev.virtiofleet.agent.qmp.QmpConnectException;
import dev.virtiofleet.agent.qmp.QmpConnection;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.qmp.QmpGreeting;
import dev.virtiofleet.agent.qmp.QmpOutcome;
import dev.virtiofleet.agent.qmp.ReadOnlyCommands;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QemuVersion;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtioInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls one VM over one QMP connection. A sweep is up to four pipelined phases, each one round
 * trip: run state and device list, with the statuses of the devices listed last time; the status
 * of every device not yet asked for; queue status of the queues in use, of all
 * queues on census sweeps ({@link SweepPolicy}), and vhost queue status where vhost runs; queue
 * elements for queues that look stuck, and for every queue of a started vhost-user device, whose
 * queue status must not be read ({@link VhostUserRule}). The result is one {@link VirtioSample}
 * per device, listing the queues read.
 *
 * <p>A phase in which the monitor missed a deadline or the connection ended is the last one, so a
 * hung monitor costs a sweep one deadline. Not thread-safe: one sweep at a time.
 */
public final class VmPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmPoller.class);
    /** QEMU's VIRTIO_QUEUE_MAX: no device has more queues; a larger num-vqs is not trusted. */
    static final int MAX_QUEUES = 1024;
    /**
     * One for all VMs (it is thread-safe): each reader's Jackson mapper caches a deserializer per QAPI
     * type, some 300 KiB, which a reader per VM would hold 500 times on a 500-VM host.
     */
    private static final QapiReader READER = new QapiReader();
    private static final String NO_INTACT_SLOT = "not sent: no ring slot is provably held (offered and not taken, in flight, or"
            + " completed unsignalled), and QEMU 7.2 marks the device broken when the chain it walks at a stale slot does not hold together";

    private final QmpConnection connection;
    private final AgentRun run;
    private final Clock clock;
    private final RunStateTracker runState;
    private final VmIdentity identity;
    private final Optional<AvailableCommands> commands;
    /** Why this monitor cannot be polled (it lacks the x-query-virtio* commands), decided once per connection. */
    private final Optional<String> unpollable;
    private final QueueProgress progress = new QueueProgress();
    private final ReplyMemo<VirtioInfo, DecodedStatus> statuses = new ReplyMemo<>();
    private final ReplyMemo<String, List<VirtioInfo>> deviceList = new ReplyMemo<>();
    private final QueryCommands queries = new QueryCommands();
    private final SweepPolicy policy;
    private long sweeps;

    private VmPoller(QmpConnection connection, RunStateTracker runState, AgentRun run, SweepPolicy policy, Clock clock)
            throws InterruptedException {
        this.connection = connection;
        this.policy = policy;
        this.runState = runState;
        this.run = run;
        this.clock = clock;
        List<CompletableFuture<QmpOutcome>> asked = sendCounted(List.of(QmpCommand.of(ReadOnlyCommands.QUERY_NAME),
                QmpCommand.of(ReadOnlyCommands.QUERY_UUID), QmpCommand.of(ReadOnlyCommands.QUERY_COMMANDS)), (index, outcome, at) -> {});
        this.identity = new VmIdentity(text(await(asked.get(0)), "name"), text(await(asked.get(1)), "UUID").filter(VmPoller::isSetUuid));
        this.commands = await(asked.get(2)) instanceof QmpOutcome.Reply reply
                ? Optional.of(AvailableCommands.fromQueryCommands(reply.value().tree())) : Optional.empty();
        this.unpollable = commands.filter(offered -> !offered.hasVirtioQueries()).map(offered -> "QEMU "
                + connection.greeting().version() + " lacks " + offered.missingVirtioQueries() + " (added in QEMU 7.2)");
    }

    /** Connects, learns the VM's identity and which commands it offers. */
    public static VmPoller connect(QmpEndpoint endpoint, QmpClientConfig config, AgentRun run, SweepPolicy policy,
            Clock clock) throws QmpConnectException, InterruptedException {
        RunStateTracker runState = new RunStateTracker();
        QmpConnection connection = QmpConnection.open(endpoint, config, runState::onEvent);
        try {
            return new VmPoller(connection, runState, run, policy, clock);
        } catch (InterruptedException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    public VmIdentity identity() {
        return identity;
    }

    public QmpGreeting greeting() {
        return connection.greeting();
    }

    /** The commands the monitor offers; empty when query-commands itself failed. */
    public Optional<AvailableCommands> availableCommands() {
        return commands;
    }

    public boolean isConnected() {
        return connection.isOpen();
    }

    /** The run state as last seen (query-status or STOP/RESUME). */
    public Optional<RunState> runState() {
        return runState.current();
    }

    public SweepOutcome sweep() throws InterruptedException {
        if (!connection.isOpen()) {
            return new SweepOutcome.Disconnected(List.of(), connection.closeReason().orElse("closed"));
        }
        if (unpollable.isPresent()) {
            return new SweepOutcome.Unpollable(unpollable.get());
        }
        long sweep = sweeps++;
        return new Sweep(policy.isCensus(sweep), policy.isIdleProbe(sweep)).run();
    }

    @Override
    public void close() {
        connection.close();
    }

    /** One sweep's state; phases add to it and any of them may end it. */
    private final class Sweep {
        private final List<DeviceReading> devices = new ArrayList<>();
        /** Commands of the current phase not written yet: a phase goes out in one write. */
        private final List<Sent> unsent = new ArrayList<>();
        /** The last command written: the phase is answered when it is. */
        private Optional<Sent> lastWritten = Optional.empty();
        private Optional<SweepOutcome> interruption = Optional.empty();
        private final boolean census;
        private final boolean idleProbe;

        Sweep(boolean census, boolean idleProbe) {
            this.census = census;
            this.idleProbe = idleProbe;
        }

        SweepOutcome run() throws InterruptedException {
            long mark = runState.mark();
            Sent status = send(QueryCommands.QUERY_STATUS, Optional.empty());
            Sent list = send(QueryCommands.LIST_DEVICES, Optional.empty());
            // The device list rarely changes: the statuses of the devices listed last time go out
            // with it, which saves the sweep a round trip. One gone since answers an error nobody reads.
            Map<VirtioInfo, Sent> earlyStatuses = new HashMap<>();
            for (VirtioInfo known : statuses.subjects()) {
                earlyStatuses.put(known, send(statusQuery(known), Optional.empty()));
            }
            runState.applyQueryStatus(status.await(), mark);
            QmpOutcome listed = list.await();
            if (!(listed instanceof QmpOutcome.Reply reply)) {
                return unlisted(listed);
            }
            List<VirtioInfo> infos;
            try {
                infos = deviceList.decode(QapiReader.X_QUERY_VIRTIO, reply.value(), json -> READER.virtioDevices(json.tree()));
            } catch (QapiDecodeException e) {
                return new SweepOutcome.Unpollable("device list does not decode: " + e.getMessage());
            }
            var listedAt = clock.instant();
            infos.forEach(info -> devices.add(new DeviceReading(info, listedAt)));
            readStatuses(earlyStatuses);
            if (interruption.isEmpty()) {
                readQueues();
            }
            Set<String> paths = infos.stream().map(VirtioInfo::path).collect(Collectors.toSet());
            progress.endSweep(paths);
            queries.retainOnly(paths);
            statuses.retainOnly(Set.copyOf(infos));
            return finish();
        }

        private SweepOutcome unlisted(QmpOutcome listed) {
            return switch (listed) {
                case QmpOutcome.QmpError error when CommandErrors.classify(error) == CommandErrorKind.NO_VIRTIO_DEVICES ->
                        new SweepOutcome.Completed(List.of());
                case QmpOutcome.QmpError error when CommandErrors.classify(error) == CommandErrorKind.COMMAND_NOT_FOUND ->
                        new SweepOutcome.Unpollable("QEMU lacks x-query-virtio: " + error.description());
                case QmpOutcome.QmpError error -> new SweepOutcome.Unpollable("x-query-virtio failed: "
                        + error.errorClass() + ": " + error.description());
                case QmpOutcome.Timeout timeout -> new SweepOutcome.TimedOut(List.of(), "x-query-virtio: no reply within " + timeout.deadline());
                case QmpOutcome.ConnectionLost lost -> new SweepOutcome.Disconnected(List.of(), lost.reason());
                case QmpOutcome.Reply r -> throw new IllegalArgumentException("a reply is not a failure");
            };
        }

        private void readStatuses(Map<VirtioInfo, Sent> earlyStatuses) throws InterruptedException {
            List<Sent> sent = new ArrayList<>();
            for (DeviceReading device : devices) {
                Sent early = earlyStatuses.get(device.device());
                sent.add(early != null ? early.on(device) : send(statusQuery(device.device()), Optional.of(device)));
            }
            for (Sent status : sent) {
                DeviceReading device = status.device().orElseThrow();
                status.decode(json -> statuses.decode(device.device(), json,
                        changed -> DecodedStatus.of(device.device(), READER.virtioStatus(changed.tree()))))
                        .ifPresent(value -> device.status(value, clock.instant()));
            }
        }

        private void readQueues() throws InterruptedException {
            List<QueueRead> statuses = new ArrayList<>();
            List<QueueRead> followUps = new ArrayList<>();
            for (DeviceReading device : devices) {
                if (device.status().isEmpty()) {
                    continue;
                }
                DecodedStatus status = device.status().get();
                boolean vhostUser = status.vhostUser();
                int queues = (int) Math.min(Math.max(status.numVqs(), 0), MAX_QUEUES);
                if (status.numVqs() > MAX_QUEUES) {
                    device.error(CommandErrors.implausible(statusQuery(device.device()),
                            "num-vqs = " + status.numVqs() + " exceeds QEMU's VIRTIO_QUEUE_MAX " + MAX_QUEUES
                                    + "; only queues 0.." + (MAX_QUEUES - 1) + " were polled"));
                }
                for (int q = 0; q < queues; q++) {
                    if (!vhostUser && !status.vhostStarted() && !census && !progress.isActive(device.path(), q)) {
                        continue;
                    }
                    device.queueTouched(q);
                    if (vhostUser) {
                        device.error(CommandErrors.skippedUnsafe(
                                QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, device.path(), q), VhostUserRule.WHY));
                        followUps.add(queueRead(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, device, q));
                    } else {
                        statuses.add(queueRead(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, device, q));
                    }
                    if (status.vhostStarted()) {
                        followUps.add(queueRead(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, device, q));
                    }
                }
            }
            List<ElementProbe> probes = new ArrayList<>();
            for (QueueRead read : statuses) {
                Optional<VirtQueueStatus> value = read.sent().decode(json -> json.read(READER::queueStatus));
                value.ifPresent(s -> read.device().queueStatus(read.queue(), s));
                if (value.isPresent()) {
                    QueueProgress.Reading reading = progress.record(read.device().path(), read.queue(), value.get());
                    if (reading.look() == QueueProgress.Look.STUCK || (reading.look() == QueueProgress.Look.IDLE && idleProbe)) {
                        probes.add(new ElementProbe(read.device(), read.queue(), reading));
                    }
                }
            }
            for (QueueRead read : followUps) {
                collect(read);
            }
            if (interruption.isPresent()) {
                return;
            }
            List<QueueRead> elements = new ArrayList<>();
            for (ElementProbe probe : probes) {
                DeviceReading device = probe.device();
                int q = probe.queue();
                OptionalInt slot = probe.reading().intactSlot();
                if (slot.isPresent()) {
                    QmpCommand read = QmpCommand.forElement(device.path(), q, slot.getAsInt());
                    elements.add(new QueueRead(device, q, send(read, Optional.of(device))));
                } else if (probe.reading().look() == QueueProgress.Look.IDLE) {
                    // Opt-in (poll.idle-probe-every), with the risk SweepPolicy documents.
                    elements.add(queueRead(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, device, q));
                } else {
                    device.error(CommandErrors.skippedUnsafe(
                            QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, device.path(), q), NO_INTACT_SLOT));
                }
            }
            for (QueueRead read : elements) {
                collect(read);
            }
        }

        private QmpCommand statusQuery(VirtioInfo device) {
            return queries.status(device.path());
        }

        private QueueRead queueRead(String command, DeviceReading device, int queue) {
            return new QueueRead(device, queue, send(queries.queue(command, device.path(), queue), Optional.of(device)));
        }

        private void collect(QueueRead read) throws InterruptedException {
            DeviceReading device = read.device();
            int q = read.queue();
            switch (read.sent().command().execute()) {
                case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT ->
                        read.sent().decode(json -> READER.queueElement(json.tree())).ifPresent(e -> device.element(q, e));
                case QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS ->
                        read.sent().decode(json -> json.read(READER::vhostQueueStatus)).ifPresent(v -> device.vhostQueueStatus(q, v));
                default -> throw new IllegalStateException("not a follow-up query: " + read.sent().command());
            }
        }

        private SweepOutcome finish() {
            SampleContext context = new SampleContext(run, identity, qemuVersion(), runState.current());
            List<VirtioSample> samples = devices.stream().map(device -> device.toSample(context)).toList();
            return switch (interruption.orElse(null)) {
                case null -> new SweepOutcome.Completed(samples);
                case SweepOutcome.TimedOut t -> new SweepOutcome.TimedOut(samples, t.detail());
                case SweepOutcome.Disconnected d -> new SweepOutcome.Disconnected(samples, d.reason());
                default -> throw new IllegalStateException("unexpected interruption " + interruption);
            };
        }

        private Sent send(QmpCommand command, Optional<DeviceReading> device) {
            Sent sent = new Sent(this, command, device, System.nanoTime(), new CompletableFuture<>());
            unsent.add(sent);
            return sent;
        }

        /** Writes the phase's commands; the first wait for an answer does it, so none can wait unwritten. */
        void flush() {
            if (unsent.isEmpty()) {
                return;
            }
            lastWritten = Optional.of(unsent.getLast());
            List<Sent> written = List.copyOf(unsent);
            unsent.clear();
            sendCounted(written.stream().map(Sent::command).toList(),
                    (index, outcome, at) -> written.get(index).answer().complete(new Answered(outcome, at)));
        }

        void countDecodeFailure() {
            run.outcomes().countDecodeFailure();
        }

        void noteFailure(QmpCommand command, QmpOutcome outcome) {
            if (interruption.isPresent()) {
                return;
            }
            switch (outcome) {
                case QmpOutcome.Timeout t -> interruption = Optional.of(
                        new SweepOutcome.TimedOut(List.of(), command + ": no reply within " + t.deadline()));
                case QmpOutcome.ConnectionLost lost -> interruption = Optional.of(
                        new SweepOutcome.Disconnected(List.of(), lost.reason()));
                default -> {
                    // answered: errors are data
                }
            }
        }
    }

    private record Answered(QmpOutcome outcome, long answeredNanos) {}

    private record QueueRead(DeviceReading device, int queue, Sent sent) {}

    /** A queue whose element is wanted after its status reading. */
    private record ElementProbe(DeviceReading device, int queue, QueueProgress.Reading reading) {}

    /** A command in flight, and where its answer belongs. */
    private record Sent(Sweep sweep, QmpCommand command, Optional<DeviceReading> device, long sentNanos,
            CompletableFuture<Answered> answer) {

        /** The same command, its answer now belonging to {@code reading}. */
        Sent on(DeviceReading reading) {
            return new Sent(sweep, command, Optional.of(reading), sentNanos, answer);
        }

        QmpOutcome await() throws InterruptedException {
            sweep.flush();
            Answered answered;
            try {
                // QEMU answers in order: waiting for the phase's last answer first wakes this thread
                // once per phase, not once per reply (a command that times out ends before the last).
                sweep.lastWritten.orElseThrow().answer().get();
                answered = answer.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("command futures complete with outcomes, never exceptions", e);
            }
            device.ifPresent(d -> d.timing(sentNanos, answered.answeredNanos()));
            sweep.noteFailure(command, answered.outcome());
            return answered.outcome();
        }

        /** The decoded reply; anything else becomes an error of the device's sample. */
        <T> Optional<T> decode(ReplyMemo.Decoder<T> decoder) throws InterruptedException {
            QmpOutcome outcome = await();
            DeviceReading target = device.orElseThrow();
            if (outcome instanceof QmpOutcome.Reply reply) {
                try {
                    return Optional.of(decoder.decode(reply.value()));
                } catch (QapiDecodeException e) {
                    LOG.debug("{} on {}: {}", command, target.path(), e.getMessage());
                    sweep.countDecodeFailure();
                    target.error(CommandErrors.decodeFailed(command, e));
                    return Optional.empty();
                }
            }
            target.error(CommandErrors.of(command, outcome));
            return Optional.empty();
        }
    }

    /** Where a command's outcome goes once it is counted: its place among those sent together, and when it came. */
    @FunctionalInterface
    private interface AnswerSink {
        void answered(int index, QmpOutcome outcome, long answeredNanos);
    }

    /** Sends {@code commands} together; each outcome is counted and handed on in one step. */
    private List<CompletableFuture<QmpOutcome>> sendCounted(List<QmpCommand> commands, AnswerSink then) {
        long sentAt = System.nanoTime();
        List<CompletableFuture<QmpOutcome>> outcomes = connection.sendAll(commands);
        for (int i = 0; i < commands.size(); i++) {
            int index = i;
            String execute = commands.get(i).execute();
            outcomes.get(i).thenAccept(outcome -> {
                long now = System.nanoTime();
                run.completed(execute, outcome, Duration.ofNanos(now - sentAt));
                then.answered(index, outcome, now);
            });
        }
        return outcomes;
    }

    private QemuVersion qemuVersion() {
        var version = connection.greeting().version();
        return new QemuVersion(version.major(), version.minor(), version.micro(), version.packageName());
    }

    private static QmpOutcome await(CompletableFuture<QmpOutcome> future) throws InterruptedException {
        try {
            return future.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("command futures complete with outcomes, never exceptions", e);
        }
    }

    private static Optional<String> text(QmpOutcome outcome, String member) {
        if (outcome instanceof QmpOutcome.Reply reply && reply.value().tree().path(member) instanceof TextNode text
                && !text.asText().isEmpty()) {
            return Optional.of(text.asText());
        }
        return Optional.empty();
    }

    // QEMU reports the nil UUID when none was configured.
    private static boolean isSetUuid(String uuid) {
        return !uuid.equals("00000000-0000-0000-0000-000000000000");
    }
}
