package dev.virtiofleet.streams.app;

import dev.virtiofleet.streams.config.ConfigException;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.metrics.StreamsMetrics;
import dev.virtiofleet.streams.topology.StreamsSettings;
import dev.virtiofleet.streams.topology.Topics;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The whole configuration of the detection application, from flat keys, or from a YAML file whose
 * nested mappings spell the same keys ({@code rest: {listen: ...}} is {@code rest.listen}; a list
 * is a comma-separated value; see {@code deploy/streams/streams.yaml}):
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><th>key</th><th>default</th></tr>
 *   <tr><td>{@code bootstrap-servers}</td><td>required</td></tr>
 *   <tr><td>{@code application-id}</td><td>virtio-fleet-streams</td></tr>
 *   <tr><td>{@code state-dir}</td><td>Kafka Streams' default</td></tr>
 *   <tr><td>{@code standby-replicas}</td><td>0</td></tr>
 *   <tr><td>{@code commit-interval}</td><td>100ms</td></tr>
 *   <tr><td>{@code instance-id}</td><td>none (dynamic membership); see {@link StreamsSettings}</td></tr>
 *   <tr><td>{@code rest.listen}</td><td>127.0.0.1:8470 (loopback only)</td></tr>
 *   <tr><td>{@code rest.advertised}</td><td>none: answer for local partitions only; set it (host:port
 *       reachable by the other instances) when running several instances</td></tr>
 *   <tr><td>{@code topics.samples}, {@code topics.heartbeats}, {@code topics.alerts}, {@code topics.health},
 *       {@code topics.dead-letters}</td><td>virtio.samples, virtio.heartbeats, virtio.alerts, virtio.health,
 *       virtio.samples.dlq</td></tr>
 *   <tr><td>{@code metrics.queue-series-limit}</td><td>500: per-queue series on /metrics, for unhealthy devices only</td></tr>
 *   <tr><td>{@code detect.*}</td><td>see {@link DetectionConfig}</td></tr>
 *   <tr><td>{@code kafka.*}</td><td>Kafka client settings passed through without the prefix (TLS, SASL),
 *       e.g. {@code kafka.security.protocol=SASL_SSL}</td></tr>
 * </table>
 *
 * @param queueSeriesLimit at most this many per-queue series on /metrics
 */
public record StreamsAppConfig(StreamsSettings streams, Topics topics, DetectionConfig detection, InetSocketAddress restListen,
        int queueSeriesLimit) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final String DETECT_PREFIX = "detect.";
    private static final String KAFKA_PREFIX = "kafka.";
    private static final Set<String> KEYS = Set.of("bootstrap-servers", "application-id", "state-dir", "standby-replicas",
            "commit-interval", "instance-id", "rest.listen", "rest.advertised", "topics.samples", "topics.heartbeats", "topics.alerts",
            "topics.health", "topics.dead-letters", "metrics.queue-series-limit");

    /** Reads a YAML configuration file; every mistake names the key, the value and what is allowed. */
    public static StreamsAppConfig load(Path file) throws IOException {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (NoSuchFileException e) {
            throw new IOException("cannot read streams configuration " + file + ": no such file", e);
        }
    }

    /** Reads a YAML configuration; {@code source} names it in errors. */
    public static StreamsAppConfig parse(String yaml, String source) throws IOException {
        JsonNode document;
        try {
            document = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new IOException("cannot read " + source + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
        Map<String, String> flat = new TreeMap<>();
        if (document != null && !document.isMissingNode() && !document.isNull()) {
            if (!document.isObject()) {
                throw new ConfigException("(top level)", document.toString(), "a mapping of keys such as bootstrap-servers, rest, detect, kafka");
            }
            flatten("", document, flat);
        }
        return fromProperties(flat);
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> flat) {
        if (node.isObject()) {
            node.properties().forEach(entry -> flatten(prefix.isEmpty() ? entry.getKey() : prefix + "." + entry.getKey(), entry.getValue(), flat));
        } else if (node.isArray()) {
            List<String> items = new ArrayList<>();
            for (JsonNode item : node) {
                if (!item.isValueNode() || item.isNull()) {
                    throw new ConfigException(prefix, node.toString(), "a list of plain values");
                }
                items.add(item.asText());
            }
            flat.put(prefix, String.join(",", items));
        } else if (node.isNull()) {
            throw new ConfigException(prefix, "", "a value (the key is there but empty)");
        } else {
            flat.put(prefix, node.asText());
        }
    }

    public static StreamsAppConfig fromProperties(Map<String, String> properties) {
        Map<String, String> detect = new HashMap<>();
        Map<String, String> kafka = new HashMap<>();
        Map<String, String> own = new TreeMap<>();
        properties.forEach((key, value) -> {
            if (key.startsWith(DETECT_PREFIX)) {
                detect.put(key.substring(DETECT_PREFIX.length()), value);
            } else if (key.startsWith(KAFKA_PREFIX) && key.length() > KAFKA_PREFIX.length()) {
                kafka.put(key.substring(KAFKA_PREFIX.length()), value.strip());
            } else if (KEYS.contains(key)) {
                own.put(key, value.strip());
            } else {
                throw new ConfigException(key, value, "unknown key; allowed: " + new TreeSet<>(KEYS) + ", detect.* and kafka.*");
            }
        });
        String bootstrap = own.get("bootstrap-servers");
        if (bootstrap == null) {
            throw new ConfigException("bootstrap-servers", "", "required: host:port[,host:port...]");
        }
        int standby = wholeNumber(own, "standby-replicas", 0, 0, "a whole number, 0 or more");
        int queueSeriesLimit = wholeNumber(own, "metrics.queue-series-limit", StreamsMetrics.DEFAULT_QUEUE_SERIES_LIMIT, 0,
                "a whole number, 0 (no per-queue series) or more");
        Duration commit = DetectionConfig.duration("commit-interval", own.getOrDefault("commit-interval", "100ms"));
        StreamsSettings streams = new StreamsSettings(own.getOrDefault("application-id", "virtio-fleet-streams"), bootstrap,
                Optional.ofNullable(own.get("state-dir")).map(Path::of), standby, commit, Optional.ofNullable(own.get("instance-id")),
                Optional.ofNullable(own.get("rest.advertised")), kafka);
        InetSocketAddress restListen = address("rest.listen", own.getOrDefault("rest.listen", "127.0.0.1:8470"));
        Topics defaults = Topics.DEFAULT;
        Topics topics = new Topics(
                topic(own, "topics.samples", defaults.samples()),
                topic(own, "topics.heartbeats", defaults.heartbeats()),
                topic(own, "topics.alerts", defaults.alerts()),
                topic(own, "topics.health", defaults.health()),
                topic(own, "topics.dead-letters", defaults.deadLetters()));
        try {
            return new StreamsAppConfig(streams, topics, DetectionConfig.fromProperties(detect), restListen, queueSeriesLimit);
        } catch (ConfigException e) {
            throw e.withKeyPrefix(DETECT_PREFIX);
        }
    }

    private static int wholeNumber(Map<String, String> own, String key, int defaultValue, int min, String allowed) {
        String text = own.get(key);
        if (text == null) {
            return defaultValue;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= min) {
                return value;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new ConfigException(key, text, allowed);
    }

    private static InetSocketAddress address(String key, String value) {
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(value.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "host:port to listen on, e.g. 127.0.0.1:8470 (port 0 picks a free one)");
        }
    }

    private static String topic(Map<String, String> own, String key, String defaultName) {
        String name = own.getOrDefault(key, defaultName);
        if (!name.matches("[A-Za-z0-9._-]{1,249}")) {
            throw new ConfigException(key, name, "a Kafka topic name: letters, digits, '.', '_' and '-', at most 249");
        }
        return name;
    }
}
