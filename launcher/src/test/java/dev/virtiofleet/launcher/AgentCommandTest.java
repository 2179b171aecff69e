package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.serde.FleetSerdes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(KafkaBrokerExtension.class)
class AgentCommandTest {
    @TempDir
    Path dir;

    @Test
    void aBadConfigurationValueEndsTheRunWithOneLineAndExitTwo() throws Exception {
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                poll:
                  interval: 5 seconds
                publish:
                  spool-dir: %s
                kafka:
                  bootstrap.servers: localhost:9
                """.formatted(dir.resolve("spool")));
        CommandRun run = CommandRun.of("agent", "--config", config.toString());
        assertEquals(VirtioFleet.EXIT_USAGE, run.exitCode(), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains("'poll.interval' = '5 seconds'") && run.err().contains("a duration such as"), run.err());
    }

    @Test
    void aMissingConfigurationFileIsNamed() {
        Path missing = dir.resolve("absent.yaml");
        CommandRun run = CommandRun.of("agent", "--config", missing.toString());
        assertEquals(VirtioFleet.EXIT_USAGE, run.exitCode(), run.err());
        assertTrue(run.err().contains("cannot read agent configuration " + missing), run.err());
    }

    @Test
    void theAgentRunsPublishesHeartbeatsAndStopsCleanly(KafkaBroker broker) throws Exception {
        String topic = "launcher.heartbeats";
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                host-id: hv-launcher
                discovery:
                  socket-globs: ["%s/*.qmp"]
                poll:
                  interval: 200ms
                publish:
                  spool-dir: %s
                heartbeat:
                  topic: %s
                metrics:
                  enabled: false
                kafka:
                  bootstrap.servers: %s
                """.formatted(dir, dir.resolve("spool"), topic, broker.bootstrapServers()));
        CommandRun run = CommandRun.of("agent", "--config", config.toString(), "--duration", "PT2S");
        assertEquals(VirtioFleet.EXIT_OK, run.exitCode(), run.err());
        assertTrue(run.out().contains("agent: host hv-launcher running for 2s"), run.out());
        assertTrue(run.out().contains("agent: stopped"), run.out());

        List<AgentHeartbeat> heartbeats = new ArrayList<>();
        var deserializer = FleetSerdes.singleObject().heartbeat().deserializer();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "launcher-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (heartbeats.size() < 2 && System.nanoTime() < giveUp) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    assertEquals("hv-launcher", record.key());
                    heartbeats.add(deserializer.deserialize(topic, record.value()));
                }
            }
        }
        assertTrue(heartbeats.size() >= 2, "a heartbeat every 200 ms for 2 s: " + heartbeats.size());
        assertEquals(Version.current(), heartbeats.get(0).getAgentVersion());
        assertEquals(List.of(), heartbeats.get(0).getVms(), "no monitors in an empty socket directory");
    }

    @Test
    void sigtermStopsTheAgentCleanly(KafkaBroker broker) throws Exception {
        Path config = Files.writeString(dir.resolve("agent.yaml"), """
                host-id: hv-sigterm
                discovery:
                  socket-globs: ["%s/*.qmp"]
                poll:
                  interval: 200ms
                publish:
                  spool-dir: %s
                  close-timeout: 2s
                heartbeat:
                  topic: sigterm.heartbeats
                metrics:
                  enabled: false
                kafka:
                  bootstrap.servers: %s
                """.formatted(dir, dir.resolve("spool"), broker.bootstrapServers()));
        Path output = dir.resolve("agent.out");
        Process agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), VirtioFleet.class.getName(), "agent", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!Files.readString(output).contains("agent: host hv-sigterm running") && agent.isAlive() && System.nanoTime() < giveUp) {
                Thread.sleep(50);
            }
            assertTrue(agent.isAlive(), Files.readString(output));
            agent.destroy(); // SIGTERM
            assertTrue(agent.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "stopped within a minute");
        } finally {
            agent.destroyForcibly();
        }
        String printed = Files.readString(output);
        assertTrue(printed.contains("agent: stopped"), printed);
        assertEquals(128 + 15, agent.exitValue(), "the exit status of a SIGTERM-ended JVM: " + printed);
    }
}
