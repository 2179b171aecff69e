package dev.virtiofleet.sim.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.testing.JsonAssertions;
import dev.virtiofleet.testing.Transcript;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Replays every command of every real QEMU 7.2 transcript against a simulated VM configured like
 * the transcript's, over a real unix socket, and compares each reply's shape and deterministic
 * values. The running, stop/cont and hung-backend sessions were taken one after another from one
 * QEMU process (the later ones show the shadow indices the first one's element reads refreshed),
 * so they are replayed in that order against one VM; mrg_rxbuf=off was a separate process.
 */
class TranscriptConformanceTest {
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";
    private static final String STOP_CONT = "qemu-7.2-stop-cont-events.txt";
    private static final String HUNG = "qemu-7.2-virtio-blk-backend-hung.txt";
    private static final String MRG_RXBUF_OFF = "qemu-7.2-virtio-net-mrg_rxbuf-off.txt";

    private final QapiReader qapi = new QapiReader();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private SocketDir sockets;
    private QmpServer server;

    @BeforeEach
    void start() throws IOException {
        sockets = new SocketDir();
        server = new QmpServer(QemuVersion.DEBIAN_7_2);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        sockets.close();
    }

    @Test
    void everyTranscriptIsCovered() {
        assertEquals(List.of(RUNNING, STOP_CONT, HUNG, MRG_RXBUF_OFF).stream().sorted().toList(),
                Transcript.all().stream().map(Transcript::name).toList(),
                "a new transcript needs a replay here");
    }

    @Test
    void sessionsOfOneQemuProcessReplayInOrder() throws IOException {
        SimulatedVm vm = new SimulatedVm(
                ReferenceMachines.transcriptGuest("guest", UUID.randomUUID(), NetOptions.defaults()), clock);
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("guest"));

        List<String> problems = new ArrayList<>();
        problems.addAll(replay(Transcript.named(RUNNING), endpoint));
        problems.addAll(replay(Transcript.named(STOP_CONT), endpoint));
        new Fault.BackendHang(new QueueRef("blk0", 0)).inject(vm);
        problems.addAll(replay(Transcript.named(HUNG), endpoint));

        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void mergedRxBuffersOffReplays() throws IOException {
        SimulatedVm vm = new SimulatedVm(
                ReferenceMachines.transcriptGuest("guest", UUID.randomUUID(), NetOptions.mergedRxBuffersOff()), clock);
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("mrg"));

        List<String> problems = replay(Transcript.named(MRG_RXBUF_OFF), endpoint);

        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    private List<String> replay(Transcript transcript, QmpEndpoint endpoint) throws IOException {
        List<String> problems = new ArrayList<>();
        try (QmpTestClient client = new QmpTestClient(endpoint.socket())) {
            JsonAssertions.assertSameJson(transcript.greeting(), client.nextJson(), transcript.name() + " greeting");
            for (Transcript.Exchange exchange : transcript.exchanges()) {
                clock.advance(Duration.ofMillis(50));
                QmpTestClient.Answer answer = client.execute(exchange.command().toString());
                String where = transcript.name() + ":" + exchange.lineNumber() + " " + exchange.command();
                List<String> expectedEvents = exchange.events().stream().map(e -> e.path("event").asText()).toList();
                List<String> actualEvents = answer.events().stream().map(e -> e.path("event").asText()).toList();
                if (!expectedEvents.equals(actualEvents)) {
                    problems.add(where + "\n  events " + actualEvents + " but QEMU sent " + expectedEvents);
                }
                for (int i = 0; i < Math.min(exchange.events().size(), answer.events().size()); i++) {
                    ReplyShape.differences(exchange.events().get(i), answer.events().get(i))
                            .forEach(p -> problems.add(where + "\n  event " + p));
                }
                ReplyShape.differences(exchange.response(), answer.response())
                        .forEach(p -> problems.add(where + "\n  " + p));
                decodable(exchange.execute(), answer.response()).ifPresent(p -> problems.add(where + "\n  " + p));
            }
        }
        return problems;
    }

    private java.util.Optional<String> decodable(String command, JsonNode response) {
        JsonNode value = response.path("return");
        if (value.isMissingNode()) {
            return java.util.Optional.empty();
        }
        try {
            switch (command) {
                case QapiReader.X_QUERY_VIRTIO -> qapi.virtioDevices(value);
                case QapiReader.X_QUERY_VIRTIO_STATUS -> qapi.virtioStatus(value);
                case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS -> qapi.queueStatus(value);
                case QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS -> qapi.vhostQueueStatus(value);
                case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT -> qapi.queueElement(value);
                default -> { }
            }
            return java.util.Optional.empty();
        } catch (QapiDecodeException e) {
            return java.util.Optional.of("QapiReader rejects the reply: " + e.getMessage());
        }
    }
}
