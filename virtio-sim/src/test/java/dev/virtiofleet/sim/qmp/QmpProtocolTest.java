package dev.virtiofleet.sim.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.workload.ManualClock;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** QMP as QEMU 7.2 speaks it, over a real unix socket. */
class QmpProtocolTest {
    private static final UUID VM_UUID = UUID.fromString("5f2c3a9e-1b7d-4c1e-9a51-0c7f1e2d3b4a");
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private SocketDir sockets;
    private QmpServer server;
    private SimulatedVm vm;
    private QmpEndpoint endpoint;

    @BeforeEach
    void start() throws IOException {
        sockets = new SocketDir();
        server = new QmpServer(QemuVersion.DEBIAN_7_2);
        vm = new SimulatedVm(ReferenceMachines.transcriptGuest("web-1", VM_UUID, NetOptions.defaults()), clock);
        endpoint = server.serve(vm, sockets.socket("web-1"));
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        sockets.close();
    }

    @Test
    void commandsBeforeNegotiationAreRefusedAsQemuDoes() throws IOException {
        try (QmpTestClient client = new QmpTestClient(endpoint.socket())) {
            client.nextJson();
            client.send("{\"execute\": \"query-status\", \"id\": 7}\n");
            assertEquals("{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                    + "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}",
                    client.nextLine(QmpTestClient.PATIENCE).orElseThrow(), "byte for byte as QEMU writes it");
            assertTrue(client.execute("{\"execute\": \"qmp_capabilities\"}").response().has("return"));
            JsonNode again = client.execute("{\"execute\": \"qmp_capabilities\"}").response();
            assertEquals("Capabilities negotiation is already complete, command ignored", again.at("/error/desc").asText());
            assertEquals("running", client.execute("{\"execute\": \"query-status\"}").response().at("/return/status").asText());
        }
    }

    @Test
    void pipelinedCommandsAreAnsweredInOrderWithTheirIds() throws IOException {
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            client.send("{\"execute\": \"query-name\", \"id\": \"a\"}{\"execute\": \"query-uuid\", \"id\": {\"n\": 2}}\n"
                    + "{\"execute\":\n \"query-version\", \"id\": 3}\n");
            JsonNode first = client.awaitResponse().response();
            JsonNode second = client.awaitResponse().response();
            JsonNode third = client.awaitResponse().response();
            assertEquals("{\"return\":{\"name\":\"web-1\"},\"id\":\"a\"}", first.toString());
            assertEquals("{\"return\":{\"UUID\":\"" + VM_UUID + "\"},\"id\":{\"n\":2}}", second.toString());
            assertEquals(7, third.at("/return/qemu/major").asInt());
            assertEquals(3, third.get("id").asInt());
        }
    }

    @Test
    void badRequestsGetQemusErrors() throws IOException {
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            assertError(client, "{\"execute\": \"no-such-command\"}", "CommandNotFound",
                    "The command no-such-command has not been found");
            assertError(client, "{\"execute\": \"x-query-virtio-status\"}", "GenericError", "Parameter 'path' is missing");
            assertError(client, "{\"execute\": \"x-query-virtio-queue-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\"}}", "GenericError", "Parameter 'queue' is missing");
            assertError(client, "{\"execute\": \"x-query-virtio-queue-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"queue\": \"0\"}}", "GenericError",
                    "Invalid parameter type for 'queue', expected: integer");
            assertError(client, "{\"execute\": \"x-query-virtio-queue-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"queue\": 70000}}", "GenericError",
                    "Parameter 'queue' expects uint16_t");
            assertError(client, "{\"execute\": \"x-query-virtio-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"verbose\": true}}", "GenericError",
                    "Parameter 'verbose' is unexpected");
            assertError(client, "{\"execute\": \"x-query-virtio-queue-element\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"queue\": 1}}", "GenericError",
                    "Invalid virtqueue number 1");
            assertError(client, "{\"execute\": \"x-query-virtio-vhost-queue-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/net0/virtio-backend\", \"queue\": 0}}", "GenericError",
                    "Error: vhost device has not started yet");
            assertError(client, "[1, 2]", "GenericError", "QMP input must be a JSON object");
            assertError(client, "{\"arguments\": {}}", "GenericError", "QMP input lacks member 'execute'");
            assertError(client, "{\"execute\": \"stop\", \"extra\": 1}", "GenericError", "QMP input member 'extra' is unexpected");
            assertError(client, "{\"execute\": \"stop\", \"arguments\": 1}", "GenericError",
                    "QMP input member 'arguments' must be an object");
            new Fault.FeatureViolation("blk0", "VIRTIO_F_RING_PACKED").inject(vm);
            assertError(client, "{\"execute\": \"x-query-virtio-queue-element\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"queue\": 0}}", "GenericError",
                    "Packed ring not supported");
            JsonNode parseError = client.execute("{\"execute\": }").response();
            assertTrue(parseError.at("/error/desc").asText().startsWith("JSON parse error"), parseError.toString());
            assertTrue(vm.running(), "none of the bad requests ran");
        }
    }

    @Test
    void stopAndContRaiseEventsBeforeTheirResponses() throws IOException {
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            clock.advance(Duration.ofMillis(1500));
            QmpTestClient.Answer stopped = client.execute("{\"execute\": \"stop\"}");
            assertEquals(1, stopped.events().size());
            JsonNode event = stopped.events().getFirst();
            assertEquals("STOP", event.get("event").asText());
            assertEquals(clock.instant().getEpochSecond(), event.at("/timestamp/seconds").asLong());
            assertEquals(500_000, event.at("/timestamp/microseconds").asLong());
            assertEquals("paused", client.execute("{\"execute\": \"query-status\"}").response().at("/return/status").asText());
            JsonNode status = client.execute("{\"execute\": \"x-query-virtio-status\", \"arguments\": "
                    + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\"}}").response();
            assertFalse(status.at("/return/vm-running").asBoolean());
            assertEquals(List.of(), client.execute("{\"execute\": \"stop\"}").events(), "already paused: no event");
            assertEquals("RESUME", client.execute("{\"execute\": \"cont\"}").events().getFirst().get("event").asText());
        }
    }

    @Test
    void oneClientAtATimeLikeQemu() throws IOException {
        try (QmpTestClient first = QmpTestClient.negotiated(endpoint.socket());
                QmpTestClient second = new QmpTestClient(endpoint.socket())) {
            assertTrue(second.nextLine(Duration.ofMillis(300)).isEmpty(), "second client waits in the backlog");
            first.close();
            assertTrue(second.nextJson().has("QMP"), "greeted once the first client left");
        }
    }

    @Test
    void queryCommandsListsWhatIsImplemented() throws IOException {
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            JsonNode commands = client.execute("{\"execute\": \"query-commands\"}").response().get("return");
            List<String> names = StreamSupport.stream(commands.spliterator(), false).map(c -> c.get("name").asText()).toList();
            assertTrue(names.containsAll(List.of("qmp_capabilities", "query-status", "query-name", "query-uuid",
                    "query-version", "query-commands", "stop", "cont", "x-query-virtio", "x-query-virtio-status",
                    "x-query-virtio-queue-status", "x-query-virtio-vhost-queue-status", "x-query-virtio-queue-element")),
                    names.toString());
        }
    }

    @Test
    void oversizedInputIsRejectedAndTheSessionGoesOn() throws IOException {
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            client.send("{\"execute\": \"query-name\", \"id\": \"" + "x".repeat(2 << 20) + "\"}\n");
            assertEquals("JSON token size limit exceeded", client.awaitResponse().response().at("/error/desc").asText());
            assertEquals("web-1", client.execute("{\"execute\": \"query-name\"}").response().at("/return/name").asText());
        }
    }

    @Test
    void aLeftoverSocketIsReplacedButNeverAnotherFile() throws IOException {
        Path stale = sockets.socket("stale");
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale), "a socket file left behind, as by a crashed process");
        QmpEndpoint replaced = server.serve(vm, stale);
        try (QmpTestClient client = QmpTestClient.negotiated(replaced.socket())) {
            assertEquals("web-1", client.execute("{\"execute\": \"query-name\"}").response().at("/return/name").asText());
        }

        Path precious = sockets.socket("precious");
        Files.writeString(precious, "not a socket");
        IOException refused = assertThrows(IOException.class, () -> server.serve(vm, precious));
        assertTrue(refused.getMessage().contains("is not a socket"), refused.getMessage());
        assertEquals("not a socket", Files.readString(precious));
    }

    private static void assertError(QmpTestClient client, String request, String errorClass, String desc) {
        JsonNode response = client.execute(request).response();
        assertEquals(errorClass, response.at("/error/class").asText(), request + " -> " + response);
        assertEquals(desc, response.at("/error/desc").asText(), request + " -> " + response);
    }
}
