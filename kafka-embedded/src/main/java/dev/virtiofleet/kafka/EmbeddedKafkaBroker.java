package dev.virtiofleet.kafka;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (combined broker and KRaft controller) running in this JVM.
 *
 * <p>The data directory keeps the log, the cluster id and the ports, so {@link #stop()} then
 * {@link #start()} brings back the same broker at the same address with its data, which is how
 * tests simulate a broker outage. Single-node settings (replication factor 1 for internal topics,
 * no rebalance delay, no age-based retention unless a topic sets its own) are applied; {@code overrides} may change any broker property.
 */
public final class EmbeddedKafkaBroker implements KafkaBroker {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String IDENTITY_FILE = "embedded-broker.properties";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final int PORT_ATTEMPTS = 5;

    private final Path dataDir;
    private final Map<String, String> overrides;
    private Identity identity;
    private KafkaRaftServer server;

    private EmbeddedKafkaBroker(Path dataDir, Map<String, String> overrides) {
        this.dataDir = dataDir;
        this.overrides = Map.copyOf(overrides);
    }

    /** Starts a broker on {@code dataDir}: formats it when new, reuses its identity when not. */
    public static EmbeddedKafkaBroker launch(Path dataDir, Map<String, String> overrides) {
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(dataDir, overrides);
        broker.start();
        return broker;
    }

    public static EmbeddedKafkaBroker launch(Path dataDir) {
        return launch(dataDir, Map.of());
    }

    @Override
    public String bootstrapServers() {
        return "127.0.0.1:" + identity().brokerPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Starts the broker again after {@link #stop()}, on the same data and address. */
    @Override
    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            Files.createDirectories(dataDir);
            boolean fresh = !Files.exists(dataDir.resolve(IDENTITY_FILE));
            for (int attempt = 1; ; attempt++) {
                identity = fresh ? Identity.fresh() : Identity.read(dataDir.resolve(IDENTITY_FILE));
                Properties props = brokerProperties(identity);
                if (fresh) {
                    format(props, identity.clusterId());
                }
                try {
                    server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
                    server.startup();
                    break;
                } catch (RuntimeException e) {
                    server = null;
                    // A free port found beforehand can be taken by someone else before the broker binds.
                    if (!fresh || attempt >= PORT_ATTEMPTS || !isBindFailure(e)) {
                        throw new IllegalStateException("embedded Kafka broker on " + dataDir + " failed to start: " + e.getMessage(), e);
                    }
                    LOG.info("port clash starting embedded broker (attempt {}), retrying with new ports", attempt);
                    deleteContents(dataDir);
                }
            }
            identity.write(dataDir.resolve(IDENTITY_FILE));
            awaitReady();
            LOG.info("embedded Kafka broker ready at {} (data in {})", bootstrapServers(), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("embedded Kafka broker cannot use data dir " + dataDir, e);
        }
    }

    /** Stops the broker, keeping its data; {@link #start()} brings it back. */
    @Override
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        server.shutdown();
        server.awaitShutdown();
        server = null;
        LOG.info("embedded Kafka broker at {} stopped", bootstrapServers());
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String description() {
        return "in-process KRaft broker at " + bootstrapServers() + " (data in " + dataDir + ")";
    }

    private synchronized Identity identity() {
        if (identity == null) {
            throw new IllegalStateException("embedded broker has never started");
        }
        return identity;
    }

    private Properties brokerProperties(Identity id) {
        Properties props = new Properties();
        props.put("process.roles", "broker,controller");
        props.put("node.id", "1");
        props.put("controller.quorum.voters", "1@127.0.0.1:" + id.controllerPort());
        props.put("listeners", "PLAINTEXT://127.0.0.1:" + id.brokerPort() + ",CONTROLLER://127.0.0.1:" + id.controllerPort());
        props.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + id.brokerPort());
        props.put("controller.listener.names", "CONTROLLER");
        props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        props.put("inter.broker.listener.name", "PLAINTEXT");
        props.put("log.dirs", dataDir.resolve("log").toString());
        props.put("offsets.topic.replication.factor", "1");
        props.put("offsets.topic.num.partitions", "5");
        props.put("transaction.state.log.replication.factor", "1");
        props.put("transaction.state.log.min.isr", "1");
        props.put("transaction.state.log.num.partitions", "5");
        props.put("share.coordinator.state.topic.replication.factor", "1");
        props.put("share.coordinator.state.topic.min.isr", "1");
        props.put("group.initial.rebalance.delay.ms", "0");
        props.put("num.partitions", "1");
        props.put("auto.create.topics.enable", "false");
        // Tests and benchmarks replay samples with fixed past times; Kafka's default 7-day
        // retention would delete them from topics created without a retention of their own once
        // the calendar passes that age. Topics that declare retention.ms (FleetTopics) keep theirs.
        props.put("log.retention.ms", "-1");
        props.putAll(overrides);
        return props;
    }

    private void format(Properties props, String clusterId) throws IOException {
        Path config = dataDir.resolve("server.properties");
        try (Writer out = Files.newBufferedWriter(config)) {
            props.store(out, "embedded broker, formatted by virtio-fleet");
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int rc;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            rc = StorageTool.execute(new String[] {"format", "-t", clusterId, "-c", config.toString()}, print);
        }
        if (rc != 0) {
            throw new IllegalStateException("formatting " + dataDir + " failed (" + rc + "): " + output.toString(StandardCharsets.UTF_8));
        }
    }

    private void awaitReady() {
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) READY_TIMEOUT.toMillis()))) {
            admin.describeCluster().nodes().get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("embedded Kafka broker at " + bootstrapServers() + " did not become ready within " + READY_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the embedded broker", e);
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException || String.valueOf(t.getMessage()).contains("Address already in use")) {
                return true;
            }
        }
        return false;
    }

    private static void deleteContents(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> p.toFile().delete());
        }
    }

    /** What makes a restarted broker the same broker: cluster id and ports. */
    private record Identity(String clusterId, int brokerPort, int controllerPort) {
        static Identity fresh() throws IOException {
            return new Identity(Uuid.randomUuid().toString(), freePort(), freePort());
        }

        static Identity read(Path file) throws IOException {
            Properties props = new Properties();
            try (Reader in = Files.newBufferedReader(file)) {
                props.load(in);
            }
            return new Identity(props.getProperty("cluster.id"),
                    Integer.parseInt(props.getProperty("broker.port")),
                    Integer.parseInt(props.getProperty("controller.port")));
        }

        void write(Path file) throws IOException {
            Properties props = new Properties();
            props.put("cluster.id", clusterId);
            props.put("broker.port", Integer.toString(brokerPort));
            props.put("controller.port", Integer.toString(controllerPort));
            try (Writer out = Files.newBufferedWriter(file)) {
                props.store(out, "identity of the embedded broker in this directory");
            }
        }

        private static int freePort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                socket.setReuseAddress(true);
                return socket.getLocalPort();
            }
        }
    }
}
