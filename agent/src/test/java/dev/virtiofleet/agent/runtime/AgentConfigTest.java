package dev.virtiofleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.discovery.DiscoveryConfig;
import dev.virtiofleet.agent.discovery.LibvirtConfig;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.schedule.PollConfig;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgentConfigTest {
    private static final Path EXAMPLE = Path.of("..", "deploy", "agent", "agent.yaml");

    @TempDir
    Path spool;

    private String minimal() {
        return "publish:\n  spool-dir: " + spool + "\nkafka:\n  bootstrap.servers: localhost:9092\n";
    }

    @Test
    void aMinimalFileTakesEveryDefault() throws Exception {
        AgentConfig config = AgentConfig.parse(minimal(), "test.yaml");
        assertEquals(PollConfig.defaults(), config.poll());
        assertEquals(QmpClientConfig.defaults(), config.qmp());
        assertEquals(DiscoveryConfig.defaults(), config.discovery());
        assertEquals("virtio.samples", config.publish().topic());
        assertEquals(1L << 30, config.publish().spoolMaxBytes());
        assertEquals("virtio.heartbeats", config.heartbeatTopic());
        assertEquals(Optional.of(new InetSocketAddress("127.0.0.1", 9464)), config.metricsListen());
        assertEquals(Map.of("bootstrap.servers", "localhost:9092"), config.publish().kafka());
        assertTrue(!config.hostId().isBlank(), "host id defaults to the host name");
        assertEquals("virtio-fleet-agent-" + config.hostId(), config.publish().transactionalId());
    }

    @Test
    void theTransactionalIdIsTheSampleProducersAlone() throws Exception {
        AgentConfig config = AgentConfig.parse(minimal() + "  transactional.id: fleet-a-hv-07\n", "test.yaml");
        assertEquals("fleet-a-hv-07", config.publish().transactionalId());
        assertEquals(Map.of("bootstrap.servers", "localhost:9092"), config.publish().kafka(),
                "not among the properties the heartbeat producer shares");
    }

    @Test
    void theDeployedExampleStatesTheDefaultsAndParses() throws Exception {
        String example = Files.readString(EXAMPLE).replace("/var/lib/virtio-fleet/spool", spool.toString());
        AgentConfig config = AgentConfig.parse(example, EXAMPLE.toString());
        AgentConfig defaults = AgentConfig.parse(minimal(), "test.yaml");
        assertEquals(defaults.poll(), config.poll());
        assertEquals(defaults.qmp(), config.qmp());
        assertEquals(defaults.discovery(), config.discovery());
        assertEquals(defaults.metricsListen(), config.metricsListen());
        assertEquals(defaults.heartbeatTopic(), config.heartbeatTopic());
        assertEquals(defaults.publish().spoolMaxBytes(), config.publish().spoolMaxBytes());
        assertEquals(defaults.publish().memoryQueueRecords(), config.publish().memoryQueueRecords());
        assertEquals("kafka-1.example.net:9093,kafka-2.example.net:9093", config.publish().kafka().get("bootstrap.servers"));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        AgentConfig config = AgentConfig.parse("""
                host-id: hv-07
                discovery:
                  socket-globs: [/run/qemu/*.qmp]
                  static: ["10.0.0.5:4444", "[::1]:4445"]
                  libvirt:
                    enabled: true
                    list-from: state-dir
                    virsh: /usr/local/bin/virsh
                    uri: qemu+ssh://hv-07/system
                    state-dir: /var/run/libvirt/qemu
                    socket-pattern: /run/telemetry/{domain}/qmp.sock
                    list-timeout: 2s
                poll:
                  interval: 2s
                  jitter: 0.5
                  census-every: 12
                  reconnect-backoff: {initial: 500ms, max: 1m}
                  circuit:
                    timeouts-to-open: 5
                    backoff: {initial: PT4S, max: 2m}
                qmp:
                  connect-timeout: 1s
                  handshake-timeout: 3s
                  command-deadline: 250ms
                  max-line-bytes: 64KiB
                publish:
                  topic: t.samples
                  memory-queue-records: 50
                  spool-dir: %s
                  spool-max-bytes: 8MiB
                  spool-segment-bytes: 1MiB
                  send-block-timeout: 2s
                  close-timeout: 3s
                heartbeat:
                  topic: t.heartbeats
                metrics:
                  enabled: false
                kafka:
                  bootstrap.servers: broker:9093
                  security.protocol: SASL_SSL
                  ssl.truststore.location: /etc/ts.p12
                  linger.ms: 20
                """.formatted(spool), "full.yaml");
        assertEquals("hv-07", config.hostId());
        assertEquals(List.of("/run/qemu/*.qmp"), config.discovery().socketGlobs());
        assertEquals(List.of("10.0.0.5:4444", "[::1]:4445"), config.discovery().staticEndpoints());
        assertEquals(new LibvirtConfig(true, LibvirtConfig.DomainListing.STATE_DIR, "/usr/local/bin/virsh", "qemu+ssh://hv-07/system",
                Path.of("/var/run/libvirt/qemu"), "/run/telemetry/{domain}/qmp.sock", Duration.ofSeconds(2)), config.discovery().libvirt());
        assertEquals(Path.of("/run/telemetry/web-1/qmp.sock"), config.discovery().libvirt().socketOf("web-1"));
        assertEquals(Duration.ofSeconds(2), config.poll().interval());
        assertEquals(0.5, config.poll().jitter());
        assertEquals(12, config.poll().sweep().censusEvery());
        assertEquals(Duration.ofMillis(500), config.poll().reconnect().initial());
        assertEquals(Duration.ofMinutes(1), config.poll().reconnect().max());
        assertEquals(5, config.poll().timeoutsToOpen());
        assertEquals(Duration.ofSeconds(4), config.poll().circuit().initial());
        assertEquals(Duration.ofMinutes(2), config.poll().circuit().max());
        assertEquals(new QmpClientConfig(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofMillis(250), 64 << 10), config.qmp());
        assertEquals("t.samples", config.publish().topic());
        assertEquals(50, config.publish().memoryQueueRecords());
        assertEquals(8L << 20, config.publish().spoolMaxBytes());
        assertEquals(1L << 20, config.publish().spoolSegmentBytes());
        assertEquals(Duration.ofSeconds(2), config.publish().sendBlockTimeout());
        assertEquals(Duration.ofSeconds(3), config.publish().closeTimeout());
        assertEquals("t.heartbeats", config.heartbeatTopic());
        assertEquals(Optional.empty(), config.metricsListen());
        assertEquals(Map.of("bootstrap.servers", "broker:9093", "security.protocol", "SASL_SSL",
                "ssl.truststore.location", "/etc/ts.p12", "linger.ms", "20"), config.publish().kafka());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                // unknown keys
                Arguments.of("polll:\n  interval: 5s\n", "polll", "{\"interval\":\"5s\"}", "no such key"),
                Arguments.of("poll:\n  intervall: 5s\n", "poll.intervall", "'5s'", "known keys under poll: interval"),
                Arguments.of("poll:\n  circuit:\n    timeouts: 3\n", "poll.circuit.timeouts", "3", "timeouts-to-open"),
                // wrong types
                Arguments.of("poll:\n  interval: [5]\n", "poll.interval", "[5]", "a duration such as"),
                Arguments.of("poll:\n  interval: 5 seconds\n", "poll.interval", "'5 seconds'", "a duration such as"),
                Arguments.of("poll:\n  jitter: high\n", "poll.jitter", "'high'", "a number"),
                Arguments.of("poll:\n  census-every: 1.5\n", "poll.census-every", "1.5", "a whole number"),
                Arguments.of("qmp:\n  max-line-bytes: lots\n", "qmp.max-line-bytes", "'lots'", "a byte count"),
                Arguments.of("metrics:\n  enabled: maybe\n", "metrics.enabled", "'maybe'", "true or false"),
                Arguments.of("poll: 10s\n", "poll", "'10s'", "a mapping of keys"),
                Arguments.of("discovery:\n  socket-globs: /run/*.sock\n", "discovery.socket-globs", "'/run/*.sock'", "a list"),
                Arguments.of("kafka:\n  bootstrap:\n    servers: x:1\n", "kafka.bootstrap", "{\"servers\":\"x:1\"}",
                        "write dotted property names in full"),
                // out of range
                Arguments.of("poll:\n  jitter: 2\n", "poll.jitter", "2.0", "a number from 0.0 to 1.0"),
                Arguments.of("poll:\n  interval: 1ms\n", "poll.interval", "PT0.001S", "a duration of at least PT0.01S"),
                Arguments.of("poll:\n  census-every: 0\n", "poll.census-every", "0", "an integer from 1 to 1000"),
                Arguments.of("poll:\n  circuit:\n    timeouts-to-open: 0\n", "poll.circuit.timeouts-to-open", "0", "from 1 to 100"),
                Arguments.of("qmp:\n  max-line-bytes: 1KiB\n", "qmp.max-line-bytes", "1024", "an integer from 4096"),
                Arguments.of("qmp:\n  command-deadline: 0s\n", "qmp.command-deadline", "PT0S", "a positive duration"),
                Arguments.of("publish:\n  memory-queue-records: 0\n", "publish.memory-queue-records", "0", "an integer from 1"),
                Arguments.of("publish:\n  spool-max-bytes: 1MiB\n", "publish.spool-max-bytes", "1048576", "at least two spool segments"),
                Arguments.of("discovery:\n  static: [\"qemu-host\"]\n", "discovery.static[0]", "qemu-host", "host:port"),
                Arguments.of("discovery:\n  socket-globs: [\"*.sock\"]\n", "discovery.socket-globs[0]", "*.sock", "an absolute path glob"),
                Arguments.of("metrics:\n  listen: 127.0.0.1:99999\n", "metrics.listen", "127.0.0.1:99999", "a port from 0 to 65535"),
                Arguments.of("discovery:\n  libvirt:\n    list-from: libvirtd\n", "discovery.libvirt.list-from", "'libvirtd'",
                        "virsh or state-dir"),
                Arguments.of("discovery:\n  libvirt:\n    socket-pattern: /run/qmp/vm.sock\n", "discovery.libvirt.socket-pattern",
                        "/run/qmp/vm.sock", "an absolute path containing {domain}"),
                Arguments.of("discovery:\n  libvirt:\n    socket-pattern: qmp/{domain}.sock\n", "discovery.libvirt.socket-pattern",
                        "qmp/{domain}.sock", "an absolute path containing {domain}"),
                Arguments.of("discovery:\n  libvirt:\n    state-dir: run/libvirt\n", "discovery.libvirt.state-dir", "run/libvirt",
                        "an absolute path"),
                Arguments.of("discovery:\n  libvirt:\n    list-timeout: 10ms\n", "discovery.libvirt.list-timeout", "PT0.01S",
                        "at least PT0.1S"),
                Arguments.of("discovery:\n  libvirt:\n    enabled: yes please\n", "discovery.libvirt.enabled", "'yes please'",
                        "true or false"),
                Arguments.of("discovery:\n  libvirt:\n    socket: /run/x.sock\n", "discovery.libvirt.socket", "'/run/x.sock'",
                        "known keys under discovery.libvirt: enabled, list-from"));
    }

    /** {@code fragment} on top of a valid configuration (its section replaces the valid one's). */
    private String withValidRest(String fragment) {
        StringBuilder yaml = new StringBuilder(fragment);
        if (!fragment.startsWith("kafka:")) {
            yaml.append("kafka:\n  bootstrap.servers: localhost:9092\n");
        }
        if (fragment.startsWith("publish:")) {
            yaml.insert("publish:\n".length(), "  spool-dir: " + spool + "\n");
        } else {
            yaml.append("publish:\n  spool-dir: ").append(spool).append('\n');
        }
        return yaml.toString();
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void aBadValueIsOneErrorNamingKeyValueAndWhatIsAllowed(String fragment, String key, String value, String allowed) {
        ConfigException error = assertThrows(ConfigException.class, () -> AgentConfig.parse(withValidRest(fragment), "test.yaml"));
        assertEquals(key, error.key(), error.getMessage());
        assertTrue(error.getMessage().contains("'" + key + "' = " + value), "names key and value: " + error.getMessage());
        assertTrue(error.getMessage().contains(allowed), "says what is allowed: " + error.getMessage());
        assertEquals(1, error.getMessage().lines().count(), "one line");
    }

    @Test
    void aRelativeSpoolDirectoryIsRefused() {
        ConfigException error = assertThrows(ConfigException.class, () -> AgentConfig.parse(
                "publish:\n  spool-dir: relative/spool\nkafka:\n  bootstrap.servers: localhost:9092\n", "test.yaml"));
        assertEquals("publish.spool-dir", error.key());
        assertTrue(error.getMessage().contains("relative/spool") && error.getMessage().contains("an absolute path"), error.getMessage());
    }

    @Test
    void kafkaBootstrapServersIsRequired() {
        ConfigException error = assertThrows(ConfigException.class,
                () -> AgentConfig.parse("publish:\n  spool-dir: " + spool + "\n", "test.yaml"));
        assertEquals("kafka.bootstrap.servers", error.key());
        assertTrue(error.getMessage().contains("host:port"), error.getMessage());
    }

    @Test
    void aSpoolDirectoryThatCannotBeCreatedIsRefusedAtStart() throws Exception {
        Path file = Files.writeString(spool.resolve("not-a-directory"), "x");
        Path impossible = file.resolve("spool");
        ConfigException error = assertThrows(ConfigException.class, () -> AgentConfig.parse(
                "publish:\n  spool-dir: " + impossible + "\nkafka:\n  bootstrap.servers: localhost:9092\n", "test.yaml"));
        assertEquals("publish.spool-dir", error.key());
        assertTrue(error.getMessage().contains(impossible.toString()), error.getMessage());
        assertTrue(error.getMessage().contains("a directory the agent can create and write to"), error.getMessage());
    }

    @Test
    void invalidYamlNamesTheFileAndLine() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> AgentConfig.parse("poll:\n  interval: 5s\n interval: [\n", "broken.yaml"));
        assertTrue(error.getMessage().startsWith("broken.yaml is not valid YAML"), error.getMessage());
        assertTrue(error.getMessage().contains("line"), error.getMessage());
    }
}
