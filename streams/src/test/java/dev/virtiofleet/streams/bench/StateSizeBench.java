package dev.virtiofleet.streams.bench;

import static dev.virtiofleet.streams.bench.BenchSupport.SERDES;
import static dev.virtiofleet.streams.bench.BenchSupport.seconds;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.bench.BenchSupport.Workspace;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.streams.topology.DetectionTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * Benchmark, not a test: how much state the detection application keeps per tracked device, for
 * a fleet of at least QUEUES virtqueues (default 60,000) made of the running-guest transcript's VMs.
 * Each device is sampled POLLS times (healthy, blk completing work), the application processes it
 * all, then three measures of the device store:
 * <ol>
 *   <li>serialized DeviceState bytes, exactly as the application's serde wrote them: the latest
 *       value per key in the store's changelog topic (read_committed), per device type;</li>
 *   <li>RocksDB on disk after the application closed (SST files and the whole store directory),
 *       then after a full compaction of the same files (Kafka Streams' no-compression setting);</li>
 *   <li>the changelog's log segments on the broker (not yet compacted: every version).</li>
 * </ol>
 * The drift stores (one member per device, one tally per group and device type) are reported too.
 *
 * <p>Arguments: [queues (60000)] [polls per device (3)].
 */
public final class StateSizeBench {
    private static final String APP = "bench-state";
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    public static void main(String[] args) throws Exception {
        int queueTarget = args.length > 0 ? Integer.parseInt(args[0]) : 60_000;
        int polls = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.out.println("load average at start: " + BenchSupport.loadAverage());
        int perVm = Fleet.ofVms(1).queuesPerVm();
        Fleet fleet = Fleet.ofVms((queueTarget + perVm - 1) / perVm);
        System.out.printf("%d VMs x 7 devices = %d devices with %d queues (%d per VM, transcript guest); %d polls each%n",
                fleet.vms().size(), fleet.deviceCount(), fleet.queueCount(), perVm, polls);
        try (Workspace workspace = new Workspace("state-size-bench")) {
            workspace.createFleetTopics();
            String topic = BenchSupport.topics().samples();
            produce(workspace, fleet, polls, topic);
            Map<TopicPartition, Long> end = BenchSupport.endOffsets(workspace.admin, topic);
            long records = BenchSupport.total(end);
            Path stateDir;
            try (DetectionApplication application = BenchSupport.application(workspace, APP, Map.of())) {
                long start = System.nanoTime();
                application.start();
                long deadline = start + PATIENCE.toNanos();
                while (application.state() != KafkaStreams.State.RUNNING || BenchSupport.committed(workspace.admin, APP, end) < records) {
                    if (System.nanoTime() > deadline || application.state() == KafkaStreams.State.ERROR) {
                        throw new IllegalStateException("application " + application.state() + " did not process " + records + " samples");
                    }
                    Thread.sleep(50);
                }
                System.out.printf("application processed %d samples in %.1f s (startup included)%n", records, seconds(start));
                stateDir = workspace.stateDir(APP).resolve(APP);
            }
            int devices = fleet.deviceCount();
            int queues = fleet.queueCount();
            System.out.println("1. serialized store values (latest per key in the changelog, the application's own serde):");
            Changelog device = changelog(workspace, DetectionTopology.DEVICE_STORE);
            device.print(devices, queues, queueTarget);
            device.printByDevice();
            Changelog members = changelog(workspace, DetectionTopology.DRIFT_MEMBER_STORE);
            members.print(devices, queues, queueTarget);
            Changelog tally = changelog(workspace, DetectionTopology.DRIFT_TALLY_STORE);
            tally.print(devices, queues, queueTarget);

            System.out.println("2. RocksDB on disk, device-state store, all tasks (application closed):");
            List<Path> stores = storeDirs(stateDir, DetectionTopology.DEVICE_STORE);
            long sst = 0;
            long all = 0;
            for (Path store : stores) {
                sst += BenchSupport.treeBytes(store, p -> p.toString().endsWith(".sst"));
                all += BenchSupport.treeBytes(store, p -> true);
            }
            printDisk("as left by Kafka Streams: SST files", sst, devices, queues, queueTarget);
            printDisk("as left by Kafka Streams: whole store dirs (SST, WAL, MANIFEST, LOG, OPTIONS)", all, devices, queues, queueTarget);
            long compacted = 0;
            for (Path store : stores) {
                compacted += compactedSstBytes(store);
            }
            printDisk("after full compaction: SST files", compacted, devices, queues, queueTarget);

            System.out.println("3. broker log segments of the changelog (every version until log compaction runs):");
            long segments = BenchSupport.treeBytes(workspace.broker.dataDir(),
                    p -> p.getParent().getFileName().toString().startsWith(changelogTopic(DetectionTopology.DEVICE_STORE) + "-")
                            && p.toString().endsWith(".log"));
            printDisk(changelogTopic(DetectionTopology.DEVICE_STORE) + " .log files", segments, devices, queues, queueTarget);
        }
        System.out.println("load average at end: " + BenchSupport.loadAverage());
    }

    private static void produce(Workspace workspace, Fleet fleet, int polls, String topic) {
        Serializer<VirtioSample> serializer = SERDES.sample().serializer();
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.agentProducer(workspace.broker.bootstrapServers())) {
            for (int poll = 0; poll < polls; poll++) {
                Instant time = Samples.T0.plus(Samples.POLL.multipliedBy(poll));
                for (Fleet.Vm vm : fleet.vms()) {
                    for (int device = 0; device < vm.devices().size(); device++) {
                        producer.send(BenchSupport.record(topic, Fleet.healthy(vm, device, poll, time), serializer));
                    }
                }
            }
            producer.flush();
        }
    }

    private static String changelogTopic(String store) {
        return APP + "-" + store + "-changelog";
    }

    /** The latest value of every key in a store's changelog. */
    private record Changelog(String store, Map<String, Integer> valueBytes, long keyBytes) {
        long values() {
            return valueBytes.values().stream().mapToLong(Integer::longValue).sum();
        }

        void print(int devices, int queues, int queueTarget) {
            long values = values();
            System.out.printf("   %s: %d keys, values %d bytes (mean %.0f, max %d), keys %d bytes; per device %.1f bytes, per queue %.1f;"
                    + " for %,d queues: %.2f MB values+keys%n", store, valueBytes.size(), values,
                    valueBytes.isEmpty() ? 0.0 : values / (double) valueBytes.size(),
                    valueBytes.values().stream().mapToInt(Integer::intValue).max().orElse(0), keyBytes,
                    (values + keyBytes) / (double) devices, (values + keyBytes) / (double) queues,
                    queueTarget, (values + keyBytes) / (double) queues * queueTarget / 1e6);
        }

        /** Per device model, by the QOM path's peripheral name (blk0, net0, ser0, ...). */
        void printByDevice() {
            Map<String, long[]> byDevice = new TreeMap<>();
            valueBytes.forEach((key, bytes) -> {
                String[] parts = key.split("/");
                String device = parts.length > 4 ? parts[parts.length - 2] : key;
                long[] sum = byDevice.computeIfAbsent(device, d -> new long[2]);
                sum[0]++;
                sum[1] += bytes;
            });
            StringBuilder line = new StringBuilder("   device-state value bytes by device:");
            byDevice.forEach((device, sum) -> line.append(" %s %.0f".formatted(device, sum[1] / (double) sum[0])));
            System.out.println(line);
        }
    }

    private static Changelog changelog(Workspace workspace, String store) throws Exception {
        String topic = changelogTopic(store);
        Map<TopicPartition, Long> end = BenchSupport.endOffsets(workspace.admin, topic);
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, workspace.broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        Map<String, Integer> values = new HashMap<>();
        Map<String, Integer> keys = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(end.keySet());
            consumer.seekToBeginning(end.keySet());
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    String key = new String(record.key(), StandardCharsets.UTF_8);
                    if (record.value() == null) {
                        values.remove(key);
                        keys.remove(key);
                    } else {
                        values.put(key, record.value().length);
                        keys.put(key, record.key().length);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read " + topic + " to its end");
                }
            }
        }
        return new Changelog(store, values, keys.values().stream().mapToLong(Integer::longValue).sum());
    }

    private static void printDisk(String what, long bytes, int devices, int queues, int queueTarget) {
        System.out.printf("   %s: %d bytes; per device %.1f, per queue %.1f; for %,d queues %.2f MB%n", what, bytes,
                bytes / (double) devices, bytes / (double) queues, queueTarget, bytes / (double) queues * queueTarget / 1e6);
    }

    /** {@code <state>/<task>/rocksdb/<store>} of every task. */
    private static List<Path> storeDirs(Path appStateDir, String store) throws Exception {
        try (Stream<Path> tasks = Files.list(appStateDir)) {
            List<Path> dirs = new ArrayList<>();
            for (Path task : tasks.toList()) {
                Path dir = task.resolve("rocksdb").resolve(store);
                if (Files.isDirectory(dir)) {
                    dirs.add(dir);
                }
            }
            return dirs;
        }
    }

    /** Opens a closed store, compacts every column family fully with Kafka Streams' no-compression setting, and measures its SST files. */
    private static long compactedSstBytes(Path store) throws Exception {
        RocksDB.loadLibrary();
        List<byte[]> families;
        try (Options options = new Options()) {
            families = RocksDB.listColumnFamilies(options, store.toString());
        }
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        List<ColumnFamilyOptions> familyOptions = new ArrayList<>();
        for (byte[] family : families) {
            ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setCompressionType(CompressionType.NO_COMPRESSION);
            familyOptions.add(cfOptions);
            descriptors.add(new ColumnFamilyDescriptor(family, cfOptions));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions(); RocksDB db = RocksDB.open(options, store.toString(), descriptors, handles)) {
            for (ColumnFamilyHandle handle : handles) {
                db.compactRange(handle);
            }
            handles.forEach(ColumnFamilyHandle::close);
        } finally {
            familyOptions.forEach(ColumnFamilyOptions::close);
        }
        return BenchSupport.treeBytes(store, p -> p.toString().endsWith(".sst"));
    }
}
