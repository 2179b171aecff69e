package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
 * also between a command and its reply. {@link #send} never blocks: a writer thread drains the
 * outgoing queue and a reader thread dispatches what comes back, so a monitor that stops
 * answering costs each command its deadline, never a caller's thread.
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
    /**
     * One timer thread for every connection's deadlines. A batch answered in time cancels its timer
     * (and removes it from the queue), so the thread wakes only for a batch that really timed out:
     * on a 500-VM host the batches are answered some 150 times a second.
     */
    private static final ScheduledThreadPoolExecutor DEADLINES = deadlineTimer();

    private final QmpEndpoint endpoint;
    private final QmpClientConfig config;
    private final SocketChannel channel;
    private final Consumer<QmpEvent> events;
    private final Map<Long, CompletableFuture<QmpOutcome>> pending = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<Outgoing> outbox = new LinkedBlockingQueue<>();
    private final AtomicLong lastId = new AtomicLong();
    private final AtomicLong writtenUpTo = new AtomicLong();
    private final AtomicReference<String> closeReason = new AtomicReference<>();
    private final CompletableFuture<QmpGreeting> greeting = new CompletableFuture<>();
    private final Thread reader;
    private final Thread writer;
    /** Set once the handshake is done: from then on, losing the connection is news worth a warning. */
    private volatile boolean established;

    private QmpConnection(QmpEndpoint endpoint, QmpClientConfig config, SocketChannel channel,
            Consumer<QmpEvent> events) {
        this.endpoint = endpoint;
        this.config = config;
        this.channel = channel;
        this.events = events;
        String name = "qmp-" + endpoint.describe();
        this.reader = Thread.ofVirtual().name(name + "-reader").unstarted(this::readLoop);
        this.writer = Thread.ofVirtual().name(name + "-writer").unstarted(this::writeLoop);
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
        QmpConnection connection = new QmpConnection(endpoint, config, channel, events);
        connection.reader.start();
        connection.writer.start();
        try {
            connection.handshake();
            connection.established = true;
            return connection;
        } catch (QmpConnectException e) {
            connection.closeWith(e.getMessage());
            connection.awaitThreads();
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
        // Ids enter the outbox in the order they are taken, so "written up to id N" is meaningful.
        synchronized (outbox) {
            // One generator for the batch; lines end with a newline and nothing between them.
            try (JsonGenerator json = JSON.createGenerator(lines).setRootValueSeparator(null)) {
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = lastId.incrementAndGet();
                    CompletableFuture<QmpOutcome> outcome = new CompletableFuture<>();
                    pending.put(ids[i], outcome);
                    commands.get(i).writeTo(json, ids[i]);
                    json.writeRaw('\n');
                    outcomes.add(outcome);
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot encode " + commands, e);
            }
            outbox.add(new Outgoing(ids[ids.length - 1], lines.toByteArray()));
        }
        // One timer for the batch, not one per command: it times out whichever of them is still waiting.
        ScheduledFuture<?> timer = DEADLINES.schedule(() -> timeOut(ids, commands, deadline), deadline.toNanos(), TimeUnit.NANOSECONDS);
        // QEMU answers in order, so once the last is settled the others normally are too.
        outcomes.getLast().whenComplete((outcome, never) -> {
            if (outcomes.stream().allMatch(CompletableFuture::isDone)) {
                timer.cancel(false);
            }
        });
        String closed = closeReason.get();
        if (closed != null) {
            for (long id : ids) {
                settle(id, new QmpOutcome.ConnectionLost(closed));
            }
        }
        return outcomes;
    }

    private static ScheduledThreadPoolExecutor deadlineTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1,
                Thread.ofPlatform().name("qmp-deadlines").daemon().factory());
        timer.setRemoveOnCancelPolicy(true);
        return timer;
    }

    private void timeOut(long[] ids, List<QmpCommand> commands, Duration deadline) {
        for (int i = 0; i < ids.length; i++) {
            if (settle(ids[i], new QmpOutcome.Timeout(deadline)) && ids[i] > writtenUpTo.get()) {
                closeWith("monitor stopped reading: command " + ids[i] + " (" + commands.get(i).execute()
                        + ") could not be written within its deadline of " + deadline);
            }
        }
    }

    /** Commands' wire bytes, up to and including the command with id {@code lastId}. */
    private record Outgoing(long lastId, byte[] lines) {}

    public boolean isOpen() {
        return closeReason.get() == null;
    }

    /** Why the connection ended; empty while it is open. */
    public Optional<String> closeReason() {
        return Optional.ofNullable(closeReason.get());
    }

    /** Commands sent and not yet answered, timed out or lost. */
    public int inFlight() {
        // Whoever completes a command's future (reply, timer, close) first takes it out of the map.
        return pending.size();
    }

    @Override
    public void close() {
        closeWith(CLOSED_BY_AGENT);
        awaitThreads();
    }

    private void awaitThreads() {
        joinQuietly(reader);
        joinQuietly(writer);
    }

    private static void joinQuietly(Thread thread) {
        try {
            thread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeWith(String reason) {
        if (!closeReason.compareAndSet(null, reason)) {
            return;
        }
        if (established && !reason.equals(CLOSED_BY_AGENT)) {
            LOG.warn("QMP connection to {} closed: {}", endpoint.describe(), reason);
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing QMP channel to {}", endpoint.describe(), e);
        }
        writer.interrupt();
        outbox.clear();
        greeting.completeExceptionally(new IOException(reason));
        QmpOutcome lost = new QmpOutcome.ConnectionLost(reason);
        for (Long id : List.copyOf(pending.keySet())) {
            settle(id, lost);
        }
    }

    private void writeLoop() {
        List<Outgoing> batch = new ArrayList<>();
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        try {
            while (isOpen()) {
                batch.add(outbox.take());
                // Everything queued meanwhile goes out in the same write: pipelining without a syscall per command.
                outbox.drainTo(batch);
                joined.reset();
                batch.forEach(outgoing -> joined.writeBytes(outgoing.lines()));
                long last = batch.getLast().lastId();
                batch.clear();
                ByteBuffer bytes = ByteBuffer.wrap(joined.toByteArray());
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                writtenUpTo.set(last);
            }
        } catch (InterruptedException e) {
            // closeWith interrupts us; nothing more to write.
        } catch (IOException e) {
            closeWith("monitor closed the connection (write failed: " + e.getMessage() + ")");
        }
    }

    private void readLoop() {
        BoundedLineReader lines = new BoundedLineReader(channel, config.maxLineBytes());
        try {
            while (isOpen()) {
                Optional<byte[]> line = lines.next();
                if (line.isEmpty()) {
                    closeWith("monitor closed the connection");
                    return;
                }
                dispatch(line.get());
            }
        } catch (QmpProtocolException e) {
            closeWith(e.getMessage());
        } catch (IOException e) {
            closeWith(e instanceof EOFException ? e.getMessage() : "read from monitor failed: " + e);
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
