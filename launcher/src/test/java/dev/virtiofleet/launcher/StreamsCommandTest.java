package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.launcher.topics.TopicReconciler;
import dev.virtiofleet.topics.FleetTopics;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaBrokerExtension.class)
class StreamsCommandTest {
    @TempDir
    Path dir;

    @Test
    void aBadConfigurationValueEndsTheRunWithOneLineAndExitTwo() throws Exception {
        Path config = Files.writeString(dir.resolve("streams.yaml"), """
                bootstrap-servers: localhost:9092
                detect:
                  rules:
                    queue-stalled:
                      fire-after: soon
                """);
        CommandRun run = CommandRun.of("streams", "--config", config.toString());
        assertEquals(VirtioFleet.EXIT_USAGE, run.exitCode(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("'detect.rules.queue-stalled.fire-after' has value 'soon'"), run.err());
    }

    @Test
    void unknownKeysAndMissingFilesAreNamed() throws Exception {
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "bootstrap-servers: localhost:9092\nrest:\n  lisen: 127.0.0.1:1\n");
        CommandRun unknown = CommandRun.of("streams", "--config", typo.toString());
        assertEquals(VirtioFleet.EXIT_USAGE, unknown.exitCode());
        assertTrue(unknown.err().contains("'rest.lisen'") && unknown.err().contains("unknown key"), unknown.err());

        Path missing = dir.resolve("absent.yaml");
        CommandRun absent = CommandRun.of("streams", "--config", missing.toString());
        assertEquals(VirtioFleet.EXIT_USAGE, absent.exitCode());
        assertTrue(absent.err().contains("cannot read streams configuration " + missing + ": no such file"), absent.err());
    }

    @Test
    void aBadDurationIsAUsageError() {
        CommandRun run = CommandRun.of("streams", "--config", "streams.yaml", "--duration", "nonsense");
        assertEquals(VirtioFleet.EXIT_USAGE, run.exitCode(), run.err());
        assertTrue(run.err().contains("'nonsense' is not a positive duration"), run.err());
    }

    @Test
    void theApplicationRunsServesProbesAndMetricsAndStopsCleanly(KafkaBroker broker) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            new TopicReconciler(admin).apply(FleetTopics.all(), (short) 1, false);
        }
        int port = freePort();
        Path config = Files.writeString(dir.resolve("streams.yaml"), """
                bootstrap-servers: %s
                application-id: launcher-streams-test
                state-dir: %s
                rest:
                  listen: 127.0.0.1:%d
                """.formatted(broker.bootstrapServers(), dir.resolve("state"), port));
        CompletableFuture<CommandRun> running = CompletableFuture.supplyAsync(() -> CommandRun.of("streams", "--config", config.toString(),
                "--duration", "15s"));
        String base = "http://127.0.0.1:" + port;
        try (HttpClient http = HttpClient.newHttpClient()) {
            assertEquals(200, awaitStatus(http, base + "/readyz", 200), "ready once Kafka Streams runs");
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(metrics.contains("virtiofleet_streams_running 1"), metrics);
            assertEquals("[]", http.send(HttpRequest.newBuilder(URI.create(base + "/alerts")).build(), HttpResponse.BodyHandlers.ofString()).body());
        }
        CommandRun run = running.get(60, TimeUnit.SECONDS);
        assertEquals(VirtioFleet.EXIT_OK, run.exitCode(), run.err());
        assertTrue(run.out().contains("REST " + base + "/alerts"), run.out());
        assertTrue(run.out().contains("streams: stopped"), run.out());
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }


    private static int awaitStatus(HttpClient http, String url, int wanted) throws Exception {
        Instant giveUp = Instant.now().plus(Duration.ofSeconds(60));
        int status = -1;
        while (Instant.now().isBefore(giveUp)) {
            try {
                status = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (ConnectException e) {
                status = -1; // the command is still starting: not listening yet
            }
            if (status == wanted) {
                return status;
            }
            Thread.sleep(200);
        }
        return status;
    }
}
