package dev.virtiofleet.agent.qmp;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.agent.testing.QmpScripts;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.testing.JsonAssertions;
import dev.virtiofleet.testing.Transcript;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QmpConnectionTest {
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";
    private static final QmpClientConfig CONFIG = QmpClientConfig.defaults();
    private static final Duration SHORT = Duration.ofMillis(300);

    private static QmpOutcome outcome(CompletableFuture<QmpOutcome> future) {
        return future.join();
    }

    @Test
    void handshakeReadsTheGreetingAndNegotiatesCapabilitiesFirst() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            assertEquals(new QemuVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"), connection.greeting().version());
            assertEquals(List.of("oob"), connection.greeting().capabilities());
            outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS)));
            assertEquals(List.of("qmp_capabilities", "query-status"), server.receivedCommandNames());
            assertTrue(server.received().get(0).has("id"), "every command carries an id");
        }
    }

    @Test
    void everyTranscriptReplyArrivesAsTheOutcomeOfItsCommand() throws Exception {
        Transcript transcript = Transcript.named(RUNNING);
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            int checked = 0;
            for (Transcript.Exchange exchange : transcript.exchanges()) {
                if (!ReadOnlyCommands.ALLOWED.contains(exchange.execute())
                        || exchange.execute().equals(ReadOnlyCommands.QMP_CAPABILITIES)) {
                    continue;
                }
                QmpCommand command = new QmpCommand(exchange.execute(),
                        exchange.arguments().isObject() ? (com.fasterxml.jackson.databind.node.ObjectNode) exchange.arguments() : null);
                QmpOutcome outcome = outcome(connection.send(command));
                if (exchange.isError()) {
                    JsonNode error = exchange.response().get("error");
                    assertEquals(new QmpOutcome.QmpError(error.get("class").asText(), error.get("desc").asText()), outcome,
                            "line " + exchange.lineNumber());
                } else {
                    JsonAssertions.assertSameJson(exchange.response().get("return"),
                            assertInstanceOf(QmpOutcome.Reply.class, outcome, "line " + exchange.lineNumber()).value().tree(), "line " + exchange.lineNumber());
                }
                checked++;
            }
            assertTrue(checked > 170, "the whole transcript was replayed: " + checked);
        }
    }

    @Test
    void pipelinesManyCommandsBeforeAnyReplyArrives() throws Exception {
        int n = 64;
        // The monitor reads all n commands before it answers one: a client that waited for each
        // reply before sending the next would time out here.
        TestQmpServer.Session answersAfterAll = client -> {
            client.handshake();
            List<JsonNode> commands = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                commands.add(client.readCommand().orElseThrow());
            }
            for (JsonNode command : commands) {
                client.reply(command, json("{\"return\": {\"queue-index\": " + command.path("arguments").path("queue").asInt() + "}}"));
            }
            while (client.readCommand().isPresent()) {
                // done
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(answersAfterAll);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            List<CompletableFuture<QmpOutcome>> futures = new ArrayList<>();
            for (int q = 0; q < n; q++) {
                futures.add(connection.send(QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/dev/x", q)));
            }
            for (int q = 0; q < n; q++) {
                QmpOutcome.Reply reply = assertInstanceOf(QmpOutcome.Reply.class, outcome(futures.get(q)));
                assertEquals(q, reply.value().tree().get("queue-index").asInt());
            }
            assertEquals(0, connection.inFlight());
        }
    }

    @Test
    void correlatesByIdNotByPosition() throws Exception {
        int n = 10;
        TestQmpServer.Session answersBackwards = client -> {
            client.handshake();
            List<JsonNode> commands = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                commands.add(client.readCommand().orElseThrow());
            }
            for (JsonNode command : commands.reversed()) {
                client.reply(command, json("{\"return\": {\"queue-index\": " + command.path("arguments").path("queue").asInt() + "}}"));
            }
            while (client.readCommand().isPresent()) {
                // done
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(answersBackwards);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            List<CompletableFuture<QmpOutcome>> futures = new ArrayList<>();
            for (int q = 0; q < n; q++) {
                futures.add(connection.send(QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/dev/x", q)));
            }
            for (int q = 0; q < n; q++) {
                assertEquals(q, assertInstanceOf(QmpOutcome.Reply.class, outcome(futures.get(q))).value().tree().get("queue-index").asInt());
            }
        }
    }

    @Test
    void deliversEventsThatArriveBetweenACommandAndItsReply() throws Exception {
        Transcript stopCont = Transcript.named("qemu-7.2-stop-cont-events.txt");
        Transcript.Exchange stop = stopCont.exchanges().stream().filter(x -> x.execute().equals("stop")).findFirst().orElseThrow();
        Transcript.Exchange pausedStatus = stopCont.exchanges().stream()
                .filter(x -> x.execute().equals("query-status")).findFirst().orElseThrow();
        // The transcript's STOP event, verbatim, between query-status and its reply.
        TranscriptReplay replay = TranscriptReplay.of(RUNNING)
                .answer("query-status", null, stop.events(), pausedStatus.response());
        List<QmpEvent> events = new CopyOnWriteArrayList<>();
        try (TestQmpServer server = TestQmpServer.unix(replay);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, events::add)) {
            CompletableFuture<QmpOutcome> status = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS));
            List<QmpEvent> seenWhenReplyCompleted = status.thenApply(o -> List.copyOf(events)).join();
            assertEquals(1, seenWhenReplyCompleted.size(), "the event is delivered before the reply it preceded");
            QmpEvent event = seenWhenReplyCompleted.get(0);
            assertEquals("STOP", event.name());
            assertEquals(Instant.ofEpochSecond(1795566120, 917025000), event.timestamp());
            assertEquals("paused", assertInstanceOf(QmpOutcome.Reply.class, status.join()).value().tree().get("status").asText());
        }
    }

    /**
     * Plain replies are recognised by a streaming scan and kept as bytes; anything else is parsed
     * whole. Either way the caller gets the return value the monitor sent.
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"id\": ID, \"return\": {\"s\": \"a \\\"}\\\" {\", \"list\": [1, {\"x\": []}]}}",
        "{\"return\": [], \"id\": ID}",
        "{\"return\": {\"\u00e9t\u00e9\": \"caf\u00e9 \u2615\", \"n\": -1.5e3}, \"id\": ID}",
        "{\"return\": 42, \"id\": ID}",
        "{\"return\": {\"a\": 1}, \"id\": ID, \"extra\": true}",
        "  {\"return\":{\"a\":{\"b\":[true,false,null]}},\"id\":ID}  ",
    })
    void repliesOfAnyShapeArriveIntact(String template) throws Exception {
        TestQmpServer.Session answers = client -> {
            client.handshake();
            for (Optional<JsonNode> command = client.readCommand(); command.isPresent(); command = client.readCommand()) {
                client.sendLine(template.replace("ID", command.get().get("id").toString()));
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(answers);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            QmpOutcome.Reply reply = assertInstanceOf(QmpOutcome.Reply.class, outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS))));
            assertEquals(json(template.replace("ID", "1")).get("return"), reply.value().tree());
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void aReplyThatArrivesInPiecesIsReadWhole() throws Exception {
        TestQmpServer.Session inPieces = client -> {
            client.handshake();
            for (Optional<JsonNode> command = client.readCommand(); command.isPresent(); command = client.readCommand()) {
                byte[] line = ("{\"return\": {\"status\": \"running\", \"pad\": \"" + "x".repeat(40_000) + "\"}, \"id\": "
                        + command.get().get("id") + "}\n").getBytes(StandardCharsets.UTF_8);
                for (int from = 0; from < line.length; from += 7_000) {
                    client.sendRaw(java.util.Arrays.copyOfRange(line, from, Math.min(line.length, from + 7_000)));
                    Thread.sleep(5);
                }
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(inPieces);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            for (int i = 0; i < 2; i++) {
                QmpOutcome.Reply reply = assertInstanceOf(QmpOutcome.Reply.class, outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS))));
                assertEquals(40_000, reply.value().tree().get("pad").asText().length());
            }
        }
    }

    @Test
    void eventsWithNoCommandOutstandingAreDeliveredAndAThrowingListenerHarmsNothing() throws Exception {
        TestQmpServer.Session eventsFirst = client -> {
            client.handshake();
            client.sendLine("{\"timestamp\": {\"seconds\": 1795566121, \"microseconds\": 419199}, \"event\": \"RESUME\"}");
            client.sendLine("{\"timestamp\": {\"seconds\": 1795566122, \"microseconds\": 0}, \"event\": \"DEVICE_DELETED\", "
                    + "\"data\": {\"path\": \"/machine/peripheral/blk0/virtio-backend\"}}");
            while (true) {
                Optional<JsonNode> command = client.readCommand();
                if (command.isEmpty()) {
                    return;
                }
                client.reply(command.get(), json("{\"return\": {\"status\": \"running\", \"running\": true}}"));
            }
        };
        List<QmpEvent> events = new CopyOnWriteArrayList<>();
        try (TestQmpServer server = TestQmpServer.unix(eventsFirst);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, event -> {
                    events.add(event);
                    throw new IllegalStateException("a listener bug");
                })) {
            assertInstanceOf(QmpOutcome.Reply.class, outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS))));
            assertEquals(List.of("RESUME", "DEVICE_DELETED"), events.stream().map(QmpEvent::name).toList());
            assertEquals("/machine/peripheral/blk0/virtio-backend", events.get(1).data().get("path").asText());
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void aMonitorThatNeverAnswersCostsOneDeadlinePerCommandAndKeepsTheConnection() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(QmpScripts.neverAnswers());
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            List<CompletableFuture<QmpOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                futures.add(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS), SHORT));
            }
            for (CompletableFuture<QmpOutcome> future : futures) {
                assertEquals(new QmpOutcome.Timeout(SHORT), outcome(future));
            }
            assertEquals(0, connection.inFlight(), "timed-out commands leave nothing behind");
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void aDeadlineIsNeverCutShortAndEndsSoonAfterItPasses() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(QmpScripts.neverAnswers());
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            long sent = System.nanoTime();
            CompletableFuture<QmpOutcome> future = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS), SHORT);
            CompletableFuture<Long> endedAt = future.thenApply(outcome -> System.nanoTime());
            assertEquals(new QmpOutcome.Timeout(SHORT), outcome(future));
            Duration waited = Duration.ofNanos(endedAt.get() - sent);
            assertTrue(waited.compareTo(SHORT) >= 0, "timed out after " + waited + ", before its deadline of " + SHORT);
            // The deadlines are checked on a tick of the reactor; a loaded machine may add some scheduling delay.
            assertTrue(waited.compareTo(SHORT.plusSeconds(2)) < 0, "timed out only after " + waited);
        }
    }

    @Test
    void aMonitorThatStopsReadingIsCutOffInsteadOfQueueingCommandsForever() throws Exception {
        TestQmpServer.Session deaf = client -> {
            client.handshake();
            Thread.sleep(Long.MAX_VALUE);
        };
        try (TestQmpServer server = TestQmpServer.unix(deaf);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            // Far more than the socket buffers hold: the writer blocks, later commands stay unwritten.
            List<CompletableFuture<QmpOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < 100_000; i++) {
                futures.add(connection.send(QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS,
                        "/machine/peripheral/ser0/virtio-backend", i % 64), SHORT));
            }
            QmpOutcome last = outcome(futures.getLast());
            assertTrue(last instanceof QmpOutcome.Timeout || last instanceof QmpOutcome.ConnectionLost, last.toString());
            futures.forEach(CompletableFuture::join);
            assertFalse(connection.isOpen());
            assertTrue(connection.closeReason().orElseThrow().contains("monitor stopped reading"), connection.closeReason().orElseThrow());
            assertEquals(0, connection.inFlight());
        }
    }

    @Test
    void aLateReplyForATimedOutCommandIsDroppedNotMistakenForAForeignId() throws Exception {
        CompletableFuture<CompletableFuture<QmpOutcome>> firstSent = new CompletableFuture<>();
        TestQmpServer.Session slowFirst = client -> {
            client.handshake();
            JsonNode first = client.readCommand().orElseThrow();
            JsonNode second = client.readCommand().orElseThrow();
            // Answer only once the client has given up on the first command, however late its timer fires.
            firstSent.join().join();
            client.reply(first, json("{\"return\": {\"n\": 1}}"));
            client.reply(second, json("{\"return\": {\"n\": 2}}"));
            while (client.readCommand().isPresent()) {
                // done
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(slowFirst);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            CompletableFuture<QmpOutcome> first = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS), SHORT);
            firstSent.complete(first);
            CompletableFuture<QmpOutcome> second = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_NAME), Duration.ofSeconds(60));
            assertEquals(new QmpOutcome.Timeout(SHORT), outcome(first));
            assertEquals(2, assertInstanceOf(QmpOutcome.Reply.class, outcome(second)).value().tree().get("n").asInt());
            assertTrue(connection.isOpen());
        }
    }

    @Test
    void malformedJsonClosesTheConnectionAndLosesThePendingCommandsWithTheReason() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWith("{\"return\": {\"status\": runn"), "malformed JSON");
    }

    @Test
    void bytesThatAreNotUtf8CloseTheConnection() throws Exception {
        byte[] garbage = {'{', '"', 'r', (byte) 0xFF, (byte) 0xFE, '"', ':', '1', '}', '\n'};
        assertConnectionLost(QmpScripts.answersFirstCommandWithRawAndCloses(garbage), "malformed JSON");
    }

    @Test
    void bytesThatAreNotUtf8InsideAReplysValueCloseTheConnection() throws Exception {
        byte[] start = "{\"return\": {\"s\": \"".getBytes(StandardCharsets.UTF_8);
        byte[] end = "\"}, \"id\": 2}\n".getBytes(StandardCharsets.UTF_8);
        byte[] reply = new byte[start.length + 2 + end.length];
        System.arraycopy(start, 0, reply, 0, start.length);
        reply[start.length] = (byte) 0xFF;
        reply[start.length + 1] = (byte) 0xFE;
        System.arraycopy(end, 0, reply, start.length + 2, end.length);
        assertConnectionLost(QmpScripts.answersFirstCommandWithRawAndCloses(reply), "malformed JSON");
    }

    @Test
    void absurdlyDeepNestingIsRefusedNotRecursedInto() throws Exception {
        String deep = "{\"return\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertConnectionLost(QmpScripts.answersFirstCommandWith(deep), "malformed JSON");
    }

    @Test
    void aJsonValueThatIsNotAnObjectClosesTheConnection() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWith("[1, 2, 3]"), "not an object");
    }

    @Test
    void aReplyWithAnUnknownIdClosesTheConnection() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWith("{\"return\": {}, \"id\": 999}"), "never sent");
    }

    @Test
    void aReplyWithoutIdClosesTheConnection() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWith("{\"return\": {}}"), "never sent");
    }

    @Test
    void aMessageThatIsNeitherReplyNorEventClosesTheConnection() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWith("{\"hello\": 1}"), "neither reply nor event");
    }

    @Test
    void anOversizeLineClosesTheConnectionWithoutBufferingIt() throws Exception {
        byte[] huge = new byte[64 * 1024];
        java.util.Arrays.fill(huge, (byte) 'x');
        QmpClientConfig small = CONFIG.withMaxLineBytes(8192);
        try (TestQmpServer server = TestQmpServer.unix(QmpScripts.answersFirstCommandWithRawAndCloses(huge));
                QmpConnection connection = QmpConnection.open(server.endpoint(), small, e -> {})) {
            QmpOutcome lost = outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS)));
            assertReason(lost, "qmp.max-line-bytes = 8192");
        }
    }

    @Test
    void aMonitorThatClosesInTheMiddleOfAReplyLosesTheCommandWithThatReason() throws Exception {
        byte[] half = "{\"return\": {\"status\": \"running\", ".getBytes(StandardCharsets.UTF_8);
        assertConnectionLost(QmpScripts.answersFirstCommandWithRawAndCloses(half), "in the middle of a message");
    }

    @Test
    void aMonitorThatHangsUpLosesEveryPendingCommand() throws Exception {
        assertConnectionLost(QmpScripts.answersFirstCommandWithRawAndCloses(new byte[0]), "monitor closed the connection");
    }

    private static void assertConnectionLost(TestQmpServer.Session session, String reasonPart) throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(session);
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            CompletableFuture<QmpOutcome> first = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS));
            CompletableFuture<QmpOutcome> second = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_NAME));
            assertReason(outcome(first), reasonPart);
            assertReason(outcome(second), reasonPart);
            assertFalse(connection.isOpen());
            assertTrue(connection.closeReason().orElseThrow().contains(reasonPart));
            assertReason(outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_UUID))), reasonPart);
        }
    }

    private static void assertReason(QmpOutcome outcome, String reasonPart) {
        QmpOutcome.ConnectionLost lost = assertInstanceOf(QmpOutcome.ConnectionLost.class, outcome);
        assertTrue(lost.reason().contains(reasonPart), "reason '" + lost.reason() + "' should mention '" + reasonPart + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"stop", "cont", "quit", "system_reset", "device_del", "human-monitor-command", "migrate", "x-exit-preconfig"})
    void refusesAnyCommandOffTheAllowlistBeforeAByteIsWritten(String forbidden) throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            CommandNotAllowedException refused = assertThrows(CommandNotAllowedException.class,
                    () -> connection.send(QmpCommand.of(forbidden)));
            assertTrue(refused.getMessage().contains(forbidden));
            // Hidden among allowed commands, it takes them down with it: none of them is written.
            assertThrows(CommandNotAllowedException.class, () -> connection.sendAll(List.of(
                    QmpCommand.of(ReadOnlyCommands.QUERY_NAME), QmpCommand.of(forbidden), QmpCommand.of(ReadOnlyCommands.QUERY_UUID))));
            // The stream is ordered: had anything of the refused command been written, the monitor
            // would have read it before this one.
            outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS)));
            assertEquals(List.of("qmp_capabilities", "query-status"), server.receivedCommandNames());
        }
    }

    @Test
    void theAllowlistIsExactlyTheReadOnlyQueries() {
        assertEquals(java.util.Set.of("qmp_capabilities", "query-status", "query-name", "query-uuid", "query-version",
                "query-commands", "x-query-virtio", "x-query-virtio-status", "x-query-virtio-queue-status",
                "x-query-virtio-vhost-queue-status", "x-query-virtio-queue-element"), ReadOnlyCommands.ALLOWED);
    }

    @Test
    void detectsWhetherTheMonitorHasTheVirtioQueries() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            JsonNode reply = assertInstanceOf(QmpOutcome.Reply.class,
                    outcome(connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_COMMANDS)))).value().tree();
            assertTrue(AvailableCommands.fromQueryCommands(reply).hasVirtioQueries());
        }
        AvailableCommands qemu71 = AvailableCommands.fromQueryCommands(json(
                "[{\"name\": \"query-status\"}, {\"name\": \"qmp_capabilities\"}, {\"name\": \"x-query-virtio\"}]"));
        assertFalse(qemu71.hasVirtioQueries());
        assertEquals(java.util.Set.of("x-query-virtio-status", "x-query-virtio-queue-status",
                "x-query-virtio-vhost-queue-status", "x-query-virtio-queue-element"), qemu71.missingVirtioQueries());
    }

    @Test
    void aMonitorThatDoesNotGreetFailsTheConnectAfterTheHandshakeTimeout() throws Exception {
        TestQmpServer.Session silent = client -> {
            while (client.readCommand().isPresent()) {
                // never greets
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(silent)) {
            QmpConnectException failure = assertThrows(QmpConnectException.class, () -> QmpConnection.open(
                    server.endpoint(), CONFIG.withHandshakeTimeout(SHORT), e -> {}));
            assertTrue(failure.getMessage().contains("no greeting"), failure.getMessage());
        }
    }

    @Test
    void aMonitorThatSpeaksBeforeGreetingFailsTheConnect() throws Exception {
        TestQmpServer.Session rude = client -> {
            client.sendLine("{\"return\": {}}");
            while (client.readCommand().isPresent()) {
                // nothing
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(rude)) {
            QmpConnectException failure = assertThrows(QmpConnectException.class,
                    () -> QmpConnection.open(server.endpoint(), CONFIG, e -> {}));
            assertTrue(failure.getMessage().contains("expected the QMP greeting"), failure.getMessage());
        }
    }

    @Test
    void aMissingSocketFailsTheConnectNamingThePath() {
        QmpEndpoint nowhere = new QmpEndpoint.UnixSocket(java.nio.file.Path.of("/tmp/no-such-dir-virtiofleet/vm.qmp"));
        QmpConnectException failure = assertThrows(QmpConnectException.class, () -> QmpConnection.open(nowhere, CONFIG, e -> {}));
        assertTrue(failure.getMessage().contains("/tmp/no-such-dir-virtiofleet/vm.qmp"), failure.getMessage());
    }

    @Test
    void speaksQmpOverTcpToo() throws Exception {
        try (TestQmpServer server = TestQmpServer.tcp(TranscriptReplay.of(RUNNING));
                QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {})) {
            QmpOutcome.Reply reply = assertInstanceOf(QmpOutcome.Reply.class,
                    outcome(connection.send(QmpCommand.of(QapiReader.X_QUERY_VIRTIO))));
            assertEquals(7, reply.value().tree().size());
        }
    }

    @Test
    void closingCompletesEverythingStillPending() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(QmpScripts.neverAnswers())) {
            QmpConnection connection = QmpConnection.open(server.endpoint(), CONFIG, e -> {});
            CompletableFuture<QmpOutcome> pending = connection.send(QmpCommand.of(ReadOnlyCommands.QUERY_STATUS), Duration.ofMinutes(5));
            connection.close();
            assertReason(outcome(pending), "closed by the agent");
        }
    }
}
