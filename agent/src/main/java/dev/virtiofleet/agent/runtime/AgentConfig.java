package dev.virtiofleet.agent.runtime;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.discovery.DiscoveryConfig;
import dev.virtiofleet.agent.discovery.LibvirtConfig;
import dev.virtiofleet.agent.config.HostPort;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.publish.PublisherConfig;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.schedule.Backoff;
import dev.virtiofleet.agent.schedule.PollConfig;
import dev.virtiofleet.topics.FleetTopics;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The agent's whole configuration, read from one YAML file ({@link #load}). Every key, its default
 * and its limits are declared here and in the records it is made of; {@code deploy/agent/agent.yaml}
 * shows them all. An unknown key, a wrong type, a value out of range or a spool directory the agent
 * cannot write is a {@link ConfigException} naming the key, the value and what is allowed.
 *
 * <pre>
 * host-id               this host in every sample and heartbeat (default: the host name)
 * discovery.*           {@link DiscoveryConfig}: socket-globs, static
 * discovery.libvirt.*   {@link LibvirtConfig}: enabled, list-from, virsh, uri, state-dir, socket-pattern, list-timeout
 * poll.*                {@link PollConfig}: interval, jitter, census-every, reconnect-backoff.{initial,max},
 *                       circuit.timeouts-to-open, circuit.backoff.{initial,max}
 * qmp.*                 {@link QmpClientConfig}: connect-timeout, handshake-timeout, command-deadline, max-line-bytes
 * publish.*             {@link PublisherConfig}: topic, memory-queue-records, spool-dir, spool-max-bytes,
 *                       spool-segment-bytes, send-block-timeout, commit-interval, close-timeout
 * heartbeat.topic       where heartbeats go, one per poll interval (default virtio.heartbeats)
 * metrics.enabled       serve Prometheus /metrics (default true)
 * metrics.listen        host:port of /metrics (default 127.0.0.1:9464, loopback only; port 0 picks a free one)
 * kafka.*               Kafka producer properties, verbatim: bootstrap.servers (required), security.protocol, ssl.*, sasl.*,
 *                       transactional.id (default virtio-fleet-agent-&lt;host-id&gt;)
 * </pre>
 *
 * @param metricsListen where /metrics is served; empty when {@code metrics.enabled} is false
 */
public record AgentConfig(String hostId, DiscoveryConfig discovery, PollConfig poll, QmpClientConfig qmp,
        PublisherConfig publish, String heartbeatTopic, Optional<InetSocketAddress> metricsListen) {

    public static final Path DEFAULT_SPOOL_DIR = Path.of("/var/lib/virtio-fleet/spool");
    public static final String DEFAULT_METRICS_LISTEN = "127.0.0.1:9464";

    public AgentConfig {
        Objects.requireNonNull(hostId, "hostId");
        Objects.requireNonNull(discovery, "discovery");
        Objects.requireNonNull(poll, "poll");
        Objects.requireNonNull(qmp, "qmp");
        Objects.requireNonNull(publish, "publish");
        Objects.requireNonNull(heartbeatTopic, "heartbeatTopic");
        Objects.requireNonNull(metricsListen, "metricsListen");
    }

    /** Reads and checks {@code file}; also makes sure the spool directory exists and is writable. */
    public static AgentConfig load(Path file) throws IOException {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (IOException e) {
            throw new IOException("cannot read agent configuration " + file + ": " + e, e);
        }
        return parse(yaml, file.toString());
    }

    /** Reads a configuration document; {@code source} names it in errors. */
    public static AgentConfig parse(String yaml, String source) throws IOException {
        ConfigSection root;
        try {
            root = ConfigSection.root(new YAMLMapper().readTree(yaml));
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + " is not valid YAML: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"), e);
        }
        AgentConfig config = read(root);
        root.rejectUnknownKeys();
        ensureWritable(config.publish().spoolDir());
        return config;
    }

    private static AgentConfig read(ConfigSection root) {
        String hostId = root.text("host-id").orElseGet(AgentConfig::hostName);

        ConfigSection discovery = root.section("discovery");
        ConfigSection libvirt = discovery.section("libvirt");
        LibvirtConfig libvirtDefaults = LibvirtConfig.defaults();
        DiscoveryConfig discoveryConfig = new DiscoveryConfig(
                discovery.texts("socket-globs", DiscoveryConfig.DEFAULT_SOCKET_GLOBS),
                discovery.texts("static", java.util.List.of()),
                new LibvirtConfig(
                        libvirt.bool("enabled", libvirtDefaults.enabled()),
                        libvirt.text("list-from").map(text -> LibvirtConfig.DomainListing.parse("discovery.libvirt.list-from", text))
                                .orElse(libvirtDefaults.listFrom()),
                        libvirt.text("virsh", libvirtDefaults.virsh()),
                        libvirt.text("uri", libvirtDefaults.uri()),
                        libvirt.text("state-dir").map(Path::of).orElse(libvirtDefaults.stateDir()),
                        libvirt.text("socket-pattern", libvirtDefaults.socketPattern()),
                        libvirt.duration("list-timeout", libvirtDefaults.listTimeout())));

        ConfigSection poll = root.section("poll");
        PollConfig pollDefaults = PollConfig.every(poll.duration("interval", PollConfig.defaults().interval()));
        ConfigSection reconnect = poll.section("reconnect-backoff");
        ConfigSection circuit = poll.section("circuit");
        ConfigSection circuitBackoff = circuit.section("backoff");
        PollConfig pollConfig = new PollConfig(
                pollDefaults.interval(),
                poll.number("jitter", pollDefaults.jitter()),
                new Backoff(reconnect.duration("initial", pollDefaults.reconnect().initial()),
                        reconnect.duration("max", pollDefaults.reconnect().max())),
                circuit.integer("timeouts-to-open", pollDefaults.timeoutsToOpen()),
                new Backoff(circuitBackoff.duration("initial", pollDefaults.circuit().initial()),
                        circuitBackoff.duration("max", pollDefaults.circuit().max())),
                new SweepPolicy(poll.integer("census-every", SweepPolicy.defaults().censusEvery()),
                        poll.integer("idle-probe-every", SweepPolicy.defaults().idleProbeEvery())));

        ConfigSection qmp = root.section("qmp");
        QmpClientConfig qmpDefaults = QmpClientConfig.defaults();
        long maxLineBytes = qmp.bytes("max-line-bytes", qmpDefaults.maxLineBytes());
        QmpClientConfig qmpConfig = new QmpClientConfig(
                qmp.duration("connect-timeout", qmpDefaults.connectTimeout()),
                qmp.duration("handshake-timeout", qmpDefaults.handshakeTimeout()),
                qmp.duration("command-deadline", qmpDefaults.commandDeadline()),
                (int) Math.min(maxLineBytes, Integer.MAX_VALUE));

        ConfigSection publish = root.section("publish");
        ConfigSection heartbeat = root.section("heartbeat");
        ConfigSection metrics = root.section("metrics");
        Map<String, String> kafka = new HashMap<>(root.scalars("kafka"));
        // The sample producer's alone: the heartbeat producer must not share it (it would fence the samples').
        Optional<String> transactionalId = Optional.ofNullable(kafka.remove("transactional.id"));
        PublisherConfig publishDefaults = PublisherConfig.defaults("unused", DEFAULT_SPOOL_DIR, hostId);
        PublisherConfig publishConfig = new PublisherConfig(
                publish.text("topic", publishDefaults.topic()),
                kafka,
                transactionalId.orElse(publishDefaults.transactionalId()),
                publish.integer("memory-queue-records", publishDefaults.memoryQueueRecords()),
                publish.text("spool-dir").map(Path::of).orElse(DEFAULT_SPOOL_DIR),
                publish.bytes("spool-max-bytes", publishDefaults.spoolMaxBytes()),
                publish.bytes("spool-segment-bytes", publishDefaults.spoolSegmentBytes()),
                publish.duration("send-block-timeout", publishDefaults.sendBlockTimeout()),
                publish.duration("commit-interval", publishDefaults.commitInterval()),
                publish.duration("close-timeout", publishDefaults.closeTimeout()));
        if (!publishConfig.spoolDir().isAbsolute()) {
            throw new ConfigException("publish.spool-dir", publishConfig.spoolDir(), "an absolute path");
        }

        String heartbeatTopic = heartbeat.text("topic", FleetTopics.HEARTBEATS.name());
        boolean metricsEnabled = metrics.bool("enabled", true);
        HostPort listen = HostPort.parse("metrics.listen", metrics.text("listen", DEFAULT_METRICS_LISTEN), 0);
        return new AgentConfig(hostId, discoveryConfig, pollConfig, qmpConfig, publishConfig, heartbeatTopic,
                metricsEnabled ? Optional.of(new InetSocketAddress(listen.host(), listen.port())) : Optional.empty());
    }

    private static void ensureWritable(Path spoolDir) {
        try {
            Files.createDirectories(spoolDir);
            Files.delete(Files.createTempFile(spoolDir, ".write-check", ""));
        } catch (IOException | SecurityException e) {
            throw new ConfigException("publish.spool-dir", spoolDir,
                    "a directory the agent can create and write to (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return Optional.ofNullable(System.getenv("HOSTNAME")).filter(h -> !h.isBlank()).orElse("localhost");
        }
    }
}
