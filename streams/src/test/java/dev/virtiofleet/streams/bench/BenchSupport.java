package dev.virtiofleet.streams.bench;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import dev.virtiofleet.streams.topology.Topics;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.topics.FleetTopics;
import dev.virtiofleet.topics.SampleProducerSettings;
import dev.virtiofleet.topics.TopicSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * What the streams benchmarks share: a broker in a temporary directory removed at the end, the
 * project's topics, the agent's producer settings, the detection application, committed-offset
 * watching, load averages and CPU time per thread.
 */
final class BenchSupport {
    static {
        // Before any field below: making the serdes already creates loggers.
        quietLogs();
    }

    static final FleetSerdes SERDES = FleetSerdes.singleObject();

    private BenchSupport() {}

    /**
     * Kafka's benign startup warnings (missing internal topics, auto topic creation races) would
     * drown the figures; errors still print. -Dorg.slf4j.simpleLogger.defaultLogLevel=warn brings them back.
     */
    static void quietLogs() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
    }

    /** The 1, 5 and 15 minute load averages, for the noise of a shared machine. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2] + " (" + Runtime.getRuntime().availableProcessors() + " cores)";
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    /** A broker and the directory it (and the application's state) lives in; closing removes both. */
    static final class Workspace implements AutoCloseable {
        final Path dir;
        final EmbeddedKafkaBroker broker;
        final Admin admin;

        Workspace(String name) throws IOException {
            dir = Files.createTempDirectory(name);
            long start = System.nanoTime();
            EmbeddedKafkaBroker started;
            try {
                started = EmbeddedKafkaBroker.launch(dir.resolve("broker"));
            } catch (RuntimeException e) {
                deleteTree(dir);
                throw e;
            }
            broker = started;
            admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()));
            System.out.printf("broker: in-process KRaft at %s, started in %.1f s%n", broker.bootstrapServers(), seconds(start));
        }

        Path stateDir(String name) throws IOException {
            return Files.createDirectories(dir.resolve("state").resolve(name));
        }

        /**
         * The project's five topics with their partitions and configs (FleetTopics), except their
         * retention: the benchmarks' samples carry the transcripts' fixed times ({@code Samples.T0}),
         * older than the samples topic's 7 days once that much time has passed, so the topics keep
         * the embedded broker's retention, which deletes nothing by age.
         */
        void createFleetTopics() throws Exception {
            List<NewTopic> topics = new ArrayList<>();
            for (TopicSpec spec : FleetTopics.all()) {
                Map<String, String> configs = new HashMap<>(spec.configs());
                configs.remove("retention.ms");
                topics.add(new NewTopic(spec.name(), spec.partitions(), (short) 1).configs(configs));
            }
            admin.createTopics(topics).all().get();
        }

        @Override
        public void close() {
            try {
                admin.close(Duration.ofSeconds(5));
                broker.close();
            } finally {
                deleteTree(dir);
            }
        }
    }

    /** The agent's producer settings (idempotent, acks=all, zstd, batched), for pre-serialized samples. */
    static KafkaProducer<byte[], byte[]> agentProducer(String bootstrap) {
        Map<String, Object> props = SampleProducerSettings.common();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L << 20);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A sample as the agent publishes it: keyed by device, record timestamp = event time. */
    static ProducerRecord<byte[], byte[]> record(String topic, VirtioSample sample, Serializer<VirtioSample> serializer) {
        return new ProducerRecord<>(topic, null, sample.getEventTime().toEpochMilli(),
                DeviceKey.of(sample).asString().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, sample));
    }

    /** The detection application as the {@code streams} command builds it, on this workspace. */
    static DetectionApplication application(Workspace workspace, String applicationId, Map<String, String> extra) throws IOException {
        return new DetectionApplication(config(workspace, applicationId, extra));
    }

    /** The application's validated configuration with {@code extra} settings (flat streams.yaml keys), on this workspace. */
    static StreamsAppConfig config(Workspace workspace, String applicationId, Map<String, String> extra) throws IOException {
        Map<String, String> props = new HashMap<>(Map.of(
                "bootstrap-servers", workspace.broker.bootstrapServers(),
                "application-id", applicationId,
                "state-dir", workspace.stateDir(applicationId).toString(),
                "rest.listen", "127.0.0.1:0"));
        props.putAll(extra);
        return StreamsAppConfig.fromProperties(props);
    }

    static Topics topics() {
        return Topics.DEFAULT;
    }

    /** Latest offsets of every partition of {@code topic}. */
    static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
        int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(request).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** How many of {@code end}'s records the group has committed. */
    static long committed(Admin admin, String groupId, Map<TopicPartition, Long> end) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get();
        long done = 0;
        for (TopicPartition partition : end.keySet()) {
            OffsetAndMetadata offset = offsets.get(partition);
            done += offset == null ? 0 : offset.offset();
        }
        return done;
    }

    static long total(Map<TopicPartition, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + dir, e);
        }
    }

    static long treeBytes(Path dir, Predicate<Path> files) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            long bytes = 0;
            for (Path p : paths.filter(Files::isRegularFile).filter(files).toList()) {
                bytes += Files.size(p);
            }
            return bytes;
        }
    }

    /**
     * CPU time of the JVM's threads, attributed by thread name. A sampler follows every thread so
     * that one that ends mid-run keeps what it used. Time outside Java threads (GC, JIT, RocksDB's
     * native flush and compaction threads) is reported as unattributed.
     */
    static final class CpuMeter implements AutoCloseable {
        private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        private final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final Map<Long, String> names = new ConcurrentHashMap<>();
        private final Map<Long, Long> first = new ConcurrentHashMap<>();
        private final Map<Long, Long> last = new ConcurrentHashMap<>();
        private final long processStart;
        private final Thread sampler;
        private volatile boolean running = true;

        CpuMeter() {
            processStart = os.getProcessCpuTime();
            sample(true);
            sampler = Thread.ofPlatform().daemon().name("bench-cpu-sampler").start(() -> {
                while (running) {
                    sample(false);
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        private void sample(boolean initial) {
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info == null) {
                    continue;
                }
                long cpu = threads.getThreadCpuTime(info.getThreadId());
                if (cpu < 0) {
                    continue;
                }
                names.putIfAbsent(info.getThreadId(), info.getThreadName());
                // A thread born during the run started from zero.
                first.putIfAbsent(info.getThreadId(), initial ? cpu : 0L);
                last.put(info.getThreadId(), cpu);
            }
        }

        /** Stops sampling; returns seconds of CPU per thread name group. */
        Usage stop(Map<String, Predicate<String>> groups) throws InterruptedException {
            sample(false);
            running = false;
            sampler.join();
            double process = (os.getProcessCpuTime() - processStart) / 1e9;
            Map<String, Double> byGroup = new HashMap<>();
            double javaThreads = 0;
            for (Map.Entry<Long, String> thread : names.entrySet()) {
                double used = (last.get(thread.getKey()) - first.get(thread.getKey())) / 1e9;
                javaThreads += used;
                for (Map.Entry<String, Predicate<String>> group : groups.entrySet()) {
                    if (group.getValue().test(thread.getValue())) {
                        byGroup.merge(group.getKey(), used, Double::sum);
                        break;
                    }
                }
            }
            return new Usage(byGroup, process, process - javaThreads);
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            sampler.join();
        }
    }

    /** CPU seconds of each group of threads, of the whole process, and outside Java threads. */
    record Usage(Map<String, Double> groups, double process, double unattributed) {
        double of(String group) {
            return groups.getOrDefault(group, 0.0);
        }
    }
}
