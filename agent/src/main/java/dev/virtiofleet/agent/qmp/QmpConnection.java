package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One QMP session with one monitor.
 *
 * <p>Every command gets an {@code id}; replies are matched by it, so any number of commands can be
 * in flight at once (QEMU answers them in order). Events are handed to the listener as they come,
 * also between a command and its reply. {@link #send} never blocks: it writes what the socket
 * takes at once and leaves the rest to the {@link QmpReactor}, whose one thread also reads and
 * dispatches what comes back, so a monitor that stops answering costs each command its deadline,
 * never a thread.
 *
 * <p>Anything QMP does not allow (a line over the size limit, malformed JSON, a reply without or
 * with a foreign id) closes the connection with a reason; every command still waiting then ends
 * as {@link QmpOutcome.ConnectionLost} with that reason. Only {@link ReadOnlyCommands} can be sent.
 */
public final class QmpConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpConnection.class);
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final String CLOSED_BY_AGENT = "closed by the agent";

    private final QmpEndpoint endpoint;
    private final QmpClientConfig config;
    private final SocketChannel channel;
    private final Consumer<QmpEvent> events;
    private final Map<Long, CompletableFuture<QmpOutcome>> pending = new ConcurrentHashMap<>();
    /** Held while writing, and while ids are taken, so commands reach the socket in id order. */
    private final Object writeLock = new Object();
    /** Batches the socket did not take yet, oldest first; guarded by {@link #writeLock}. */
    private final ArrayDeque<Outgoing> unwritten = new ArrayDeque<>();
    /** Whether the reactor was asked to call back when the socket takes more; guarded by {@link #writeLock}. */
    private boolean waitingToWrite;
    /** Held while the reactor reads and dispatches, so {@link #close} can wait until no event is being delivered. */
    private final Object readLock = new Object();
    private final BoundedLineReader lines;
    private final AtomicLong lastId = new AtomicLong();
    private final AtomicLong writtenUpTo = new AtomicLong();
    /** Batches whose deadline has not passed, or passed since the reactor's last tick; the tick removes answered ones. */
    private final Queue<Due> deadlines = new ConcurrentLinkedQueue<>();
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    private final CompletableFuture<QmpGreeting> greeting = new CompletableFuture<>();
    private final QmpReactor reactor = QmpReactor.shared();
    private final SelectionKey key;
    /** Set once the handshake is done: from then on, losing the connection is news worth a warning. */
    private volatile boolean established;

    private QmpConnection(QmpEndpoint endpoint, QmpClientConfig config, SocketChannel channel,
            Consumer<QmpEvent> events) throws IOException {
        this.endpoint = endpoint;
        this.config = config;
        this.channel = channel;
        this.events = events;
        this.lines = new BoundedLineReader(config.maxLineBytes());
        // Last: from here on the reactor may read the greeting, with every field above in place.
        this.key = reactor.register(channel, new Wire());
    }

    /**
     * Connects, reads the greeting and negotiates capabilities. {@code events} receives every event
     * from the greeting on, on the connection's reader thread, so it must not block.
     */
    public static QmpConnection open(QmpEndpoint endpoint, QmpClientConfig config, Consumer<QmpEvent> events)
            throws QmpConnectException {
        Objects.requireNonNull(events, "events");
        SocketChannel channel;
        try {
            channel = endpoint.open(config.connectTimeout());
        } catch (IOException e) {
            throw new QmpConnectException("cannot connect to QMP monitor " + endpoint.describe() + ": " + e, e);
        }
        QmpConnection connection;
        try {
            connection = new QmpConnection(endpoint, config, channel, events);
        } catch (IOException e) {
            closeQuietly(channel, endpoint);
            throw new QmpConnectException("cannot watch QMP monitor " + endpoint.describe() + ": " + e, e);
        }
        try {
            connection.handshake();
            connection.established = true;
            return connection;
        } catch (QmpConnectException e) {
            connection.closeWith(e.getMessage());
            connection.awaitReading();
            throw e;
        }
    }

    private void handshake() throws QmpConnectException {
        String where = "QMP monitor " + endpoint.describe();
        try {
            greeting.get(config.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new QmpConnectException(where + " sent no greeting within " + config.handshakeTimeout(), e);
        } catch (ExecutionException e) {
            throw new QmpConnectException(where + " failed before greeting: " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpConnectException(where + ": interrupted while waiting for the greeting", e);
        }
        QmpOutcome capabilities = await(send(QmpCommand.of(ReadOnlyCommands.QMP_CAPABILITIES), config.handshakeTimeout()), where);
        if (!(capabilities instanceof QmpOutcome.Reply)) {
            throw new QmpConnectException(where + " refused qmp_capabilities: " + capabilities, null);
        }
    }

    private static QmpOutcome await(CompletableFuture<QmpOutcome> future, String where) throws QmpConnectException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpConnectException(where + ": interrupted during the handshake", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("command futures complete with outcomes, never exceptions", e);
        }
    }

    public QmpEndpoint endpoint() {
        return endpoint;
    }

    /** The monitor's greeting (available once {@link #open} returned). */
    public QmpGreeting greeting() {
        return greeting.resultNow();
    }

    /** Sends with the configured {@link QmpClientConfig#commandDeadline()}. */
    public CompletableFuture<QmpOutcome> send(QmpCommand command) {
        return send(command, config.commandDeadline());
    }

    /**
     * Queues {@code command} and returns at once; the future always completes normally, with the
     * reply, the QMP error, {@link QmpOutcome.Timeout} after {@code deadline}, or {@link
     * QmpOutcome.ConnectionLost}.
     *
     * @throws CommandNotAllowedException if the command is not read-only; nothing is written then
     */
    public CompletableFuture<QmpOutcome> send(QmpCommand command, Duration deadline) {
        return sendAll(List.of(command), deadline).getFirst();
    }

    /** {@link #sendAll(List, Duration)} with the configured {@link QmpClientConfig#commandDeadline()}. */
    public List<CompletableFuture<QmpOutcome>> sendAll(List<QmpCommand> commands) {
        return sendAll(commands, config.commandDeadline());
    }

    /**
     * Queues {@code commands} to be written together, in order (a sweep's phase goes to the monitor
     * in one write rather than one per command), each with its own deadline and outcome as {@link
     * #send(QmpCommand, Duration)} gives it.
     *
     * @throws CommandNotAllowedException if any of them is not read-only; none is written then
     */
    public List<CompletableFuture<QmpOutcome>> sendAll(List<QmpCommand> commands, Duration deadline) {
        commands.forEach(ReadOnlyCommands::require);
        if (deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("a command deadline must be positive, got " + deadline);
        }
        if (commands.isEmpty()) {
            return List.of();
        }
        List<CompletableFuture<QmpOutcome>> outcomes = new ArrayList<>(commands.size());
        long[] ids = new long[commands.size()];
        ByteArrayOutputStream lines = new ByteArrayOutputStream(128 * commands.size());
        // Ids reach the socket in the order they are taken, so "written up to id N" is meaningful.
        synchronized (writeLock) {
            for (int i = 0; i < ids.length; i++) {
                ids[i] = lastId.incrementAndGet();
                CompletableFuture<QmpOutcome> outcome = new CompletableFuture<>();
                pending.put(ids[i], outcome);
                commands.get(i).writeTo(lines, ids[i]);
                outcomes.add(outcome);
            }
            unwritten.add(new Outgoing(ids[ids.length - 1], ByteBuffer.wrap(lines.toByteArray())));
            writeWhatFits();
        }
        // One deadline for the batch, not one per command: it times out whichever of them is still waiting.
        deadlines.add(new Due(ids, commands, deadline, System.nanoTime() + deadline.toNanos()));
        reactor.watchDeadlines(key);
        String closed = closeReason.get();
        if (closed != null) {
            for (long id : ids) {
                settle(id, new QmpOutcome.ConnectionLost(closed));
            }
        }
        return outcomes;
    }

    /** A batch's deadline: when {@code dueNanos} ({@link System#nanoTime}) passes, what is still waiting times out. */
    private record Due(long[] ids, List<QmpCommand> commands, Duration deadline, long dueNanos) {}

    /** Times out the batches due by {@code now} and forgets the answered ones; on the reactor's tick. Whether any is left. */
    private boolean timeOutDue(long now) {
        for (Iterator<Due> it = deadlines.iterator(); it.hasNext(); ) {
            Due due = it.next();
            if (now - due.dueNanos() >= 0) {
                it.remove();
                timeOut(due);
            } else if (Arrays.stream(due.ids()).noneMatch(pending::containsKey)) {
                it.remove();
            }
        }
        return !deadlines.isEmpty();
    }

    private void timeOut(Due due) {
        for (int i = 0; i < due.ids().length; i++) {
            long id = due.ids()[i];
            if (settle(id, new QmpOutcome.Timeout(due.deadline())) && id > writtenUpTo.get()) {
                closeWith("monitor stopped reading: command " + id + " (" + due.commands().get(i).execute()
                        + ") could not be written within its deadline of " + due.deadline());
            }
        }
    }

    /** Commands' wire bytes, up to and including the command with id {@code lastId}. */
    private record Outgoing(long lastId, ByteBuffer lines) {}

    /** Writes queued batches until the socket takes no more; the reactor calls back for the rest. Holds {@link #writeLock}. */
    private void writeWhatFits() {
        try {
            while (!unwritten.isEmpty()) {
                Outgoing next = unwritten.peek();
                channel.write(next.lines());
                if (next.lines().hasRemaining()) {
                    waitingToWrite = true;
                    reactor.wantWrite(key);
                    return;
                }
                writtenUpTo.set(next.lastId());
                unwritten.remove();
            }
            if (waitingToWrite) {
                waitingToWrite = false;
                reactor.writtenOut(key);
            }
        } catch (IOException e) {
            closeWith("monitor closed the connection (write failed: " + e.getMessage() + ")");
        }
    }

    public boolean isOpen() {
        return closeReason.get() == null;
    }

    /** Why the connection ended; empty while it is open. */
    public Optional<String> closeReason() {
        return Optional.ofNullable(closeReason.get());
    }

    /** Commands sent and not yet answered, timed out or lost. */
    public int inFlight() {
        // Whoever completes a command's future (reply, deadline, close) first takes it out of the map.
        return pending.size();
    }

    @Override
    public void close() {
        closeWith(CLOSED_BY_AGENT);
        awaitReading();
    }

    /** Returns once the reactor is not in the middle of this connection's messages: no event comes after it. */
    private void awaitReading() {
        synchronized (readLock) {
            // nothing: the reactor checks isOpen() under this lock before it reads
        }
    }

    private static void closeQuietly(SocketChannel channel, QmpEndpoint endpoint) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing QMP channel to {}", endpoint.describe(), e);
        }
    }

    private void closeWith(String reason) {
        if (!closeReason.compareAndSet(null, reason)) {
            return;
        }
        if (established && !reason.equals(CLOSED_BY_AGENT)) {
            LOG.warn("QMP connection to {} closed: {}", endpoint.describe(), reason);
        }
        closeQuietly(channel, endpoint);
        synchronized (writeLock) {
            unwritten.clear();
        }
        greeting.completeExceptionally(new IOException(reason));
        QmpOutcome lost = new QmpOutcome.ConnectionLost(reason);
        for (Long id : List.copyOf(pending.keySet())) {
            settle(id, lost);
        }
    }

    /** The connection as the reactor sees it. */
    private final class Wire implements QmpReactor.Peer {
        @Override
        public void readable(ByteBuffer scratch) {
            synchronized (readLock) {
                try {
                    readWhatCame(scratch);
                } catch (QmpProtocolException e) {
                    closeWith(e.getMessage());
                } catch (IOException e) {
                    closeWith("read from monitor failed: " + e);
                }
            }
        }

        @Override
        public void writable() {
            synchronized (writeLock) {
                writeWhatFits();
            }
        }

        @Override
        public boolean tick(long nowNanos) {
            return timeOutDue(nowNanos);
        }

        @Override
        public boolean hasDeadlines() {
            return !deadlines.isEmpty();
        }

        @Override
        public void failed(RuntimeException bug) {
            LOG.error("QMP connection to {} failed unexpectedly", endpoint.describe(), bug);
            closeWith("internal error while reading: " + bug);
        }
    }

    private void readWhatCame(ByteBuffer scratch) throws IOException, QmpProtocolException {
        while (isOpen()) {
            scratch.clear();
            int read = channel.read(scratch);
            if (read < 0) {
                closeWith(lines.unfinished() > 0
                        ? "monitor closed the connection in the middle of a message (" + lines.unfinished() + " bytes without end of line)"
                        : "monitor closed the connection");
                return;
            }
            scratch.flip();
            lines.feed(scratch, this::dispatch);
            if (read < scratch.capacity()) {
                // The socket had no more; the selector says when it has.
                return;
            }
        }
    }

    private void dispatch(byte[] line) throws QmpProtocolException {
        if (isBlank(line)) {
            return;
        }
        Optional<PlainReply> plain = greeting.isDone() ? PlainReply.scan(JSON.getFactory(), line) : Optional.empty();
        if (plain.isPresent()) {
            complete(plain.get().id(), new QmpOutcome.Reply(plain.get().value()),
                    () -> Abbreviate.text(new String(line, StandardCharsets.UTF_8)));
            return;
        }
        JsonNode message;
        try {
            message = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new QmpProtocolException("malformed JSON from monitor: " + Abbreviate.text(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new IllegalStateException("reading JSON from a byte array cannot fail with I/O", e);
        }
        if (message == null || !message.isObject()) {
            throw new QmpProtocolException("monitor sent a JSON value that is not an object: "
                    + Abbreviate.text(new String(line, StandardCharsets.UTF_8)));
        }
        if (!greeting.isDone()) {
            if (!message.has("QMP")) {
                throw new QmpProtocolException("expected the QMP greeting first, got " + Abbreviate.json(message));
            }
            greeting.complete(QmpGreeting.parse(message));
        } else if (message.has("event")) {
            deliver(event(message));
        } else if (message.has("return") || message.has("error")) {
            complete(message);
        } else {
            throw new QmpProtocolException("monitor sent a message that is neither reply nor event: "
                    + Abbreviate.json(message));
        }
    }

    private void complete(JsonNode reply) throws QmpProtocolException {
        JsonNode id = reply.get("id");
        if (id == null || !id.canConvertToExactIntegral()) {
            throw new QmpProtocolException("reply with an id this connection never sent ("
                    + (id == null ? "no id" : "id " + Abbreviate.json(id)) + "): " + Abbreviate.json(reply));
        }
        QmpOutcome outcome;
        if (reply.has("return")) {
            outcome = new QmpOutcome.Reply(RawJson.of(reply.get("return").toString().getBytes(StandardCharsets.UTF_8)));
        } else {
            JsonNode error = reply.get("error");
            outcome = new QmpOutcome.QmpError(error.path("class").asText("(no class)"), error.path("desc").asText("(no description)"));
        }
        complete(id.asLong(), outcome, () -> Abbreviate.json(reply));
    }

    private void complete(long id, QmpOutcome outcome, Supplier<String> reply) throws QmpProtocolException {
        if (id < 1 || id > lastId.get()) {
            throw new QmpProtocolException("reply with an id this connection never sent (id " + id + "): " + reply.get());
        }
        if (!settle(id, outcome)) {
            // Ours, but its deadline passed: the caller already has a Timeout.
            LOG.debug("late reply from {} for id {} dropped", endpoint.describe(), id);
        }
    }

    /** Ends a command with {@code outcome} unless something else ended it first; whoever takes it from the map does. */
    private boolean settle(long id, QmpOutcome outcome) {
        CompletableFuture<QmpOutcome> waiting = pending.remove(id);
        return waiting != null && waiting.complete(outcome);
    }

    private QmpEvent event(JsonNode message) {
        JsonNode timestamp = message.path("timestamp");
        // QEMU always stamps events; should one come without, the receipt time is the best stand-in.
        Instant when = timestamp.path("seconds").canConvertToLong()
                ? Instant.ofEpochSecond(timestamp.path("seconds").asLong(), timestamp.path("microseconds").asLong() * 1000)
                : Instant.now();
        JsonNode data = message.has("data") ? message.get("data") : JsonNodeFactory.instance.objectNode();
        return new QmpEvent(message.path("event").asText(), when, data);
    }

    private void deliver(QmpEvent event) {
        try {
            events.accept(event);
        } catch (RuntimeException e) {
            LOG.warn("event listener for {} failed on {}", endpoint.describe(), event.name(), e);
        }
    }

    private static boolean isBlank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
