package dev.virtiofleet.streams.bench;

import static dev.virtiofleet.streams.bench.BenchSupport.SERDES;
import static dev.virtiofleet.streams.bench.BenchSupport.seconds;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import dev.virtiofleet.streams.bench.BenchSupport.CpuMeter;
import dev.virtiofleet.streams.bench.BenchSupport.Usage;
import dev.virtiofleet.streams.bench.BenchSupport.Workspace;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Benchmark, not a test: samples/s through the whole detection topology (DetectionApplication:
 * exactly-once v2, RocksDB device store with changelog, health and alert outputs, drift
 * repartition) against its floor in the same run, on the same pre-produced records of one
 * in-process KRaft broker: a plain KafkaConsumer that reads every record and Avro-decodes it
 * (FleetSerdes.singleObject()) and does nothing else. Between them, the design minimum
 * ({@link DesignMinimum}, "skeleton"): Kafka Streams with the app's settings doing only a store get
 * and put per sample, which tells how much of the gap to the floor no application code can close.
 * Each round runs floor, skeleton, app; each streams phase is a new application id on a fresh state
 * directory.
 *
 * <p>Per core: both run on one thread (one stream thread; one consumer thread), so wall-clock
 * samples/s is already "per core" at best. Because the broker shares the 2 cores (and other
 * builds share the machine), each phase also reports samples per CPU-second of its own Java
 * threads (ThreadMXBean, by thread name), which the broker's and others' load disturbs less; CPU
 * outside Java threads (GC, JIT, RocksDB's native threads) is shown as unattributed.
 *
 * <p>Arguments: [devices (10000)] [polls per device (6)] [rounds (2)] [key=value ...]; the key=value
 * pairs are detection application settings (as in streams.yaml, flat: {@code commit-interval=1s},
 * {@code detect.health-refresh-after=0s}) for the app phases, to compare one setting against the defaults.
 */
public final class StreamsThroughputBench {
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    public static void main(String[] args) throws Exception {
        int deviceTarget = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int polls = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Map<String, String> settings = new java.util.TreeMap<>();
        for (int i = 3; i < args.length; i++) {
            String[] pair = args[i].split("=", 2);
            if (pair.length != 2) {
                throw new IllegalArgumentException("not a key=value setting: " + args[i]);
            }
            settings.put(pair[0], pair[1]);
        }
        BenchSupport.quietLogs();
        System.out.println("load average at start: " + BenchSupport.loadAverage());
        Fleet fleet = Fleet.ofDevices(deviceTarget);
        String topic = BenchSupport.topics().samples();
        try (Workspace workspace = new Workspace("streams-throughput-bench")) {
            workspace.createFleetTopics();
            long bytes = produce(workspace, fleet, polls, topic);
            Map<TopicPartition, Long> end = BenchSupport.endOffsets(workspace.admin, topic);
            long records = BenchSupport.total(end);
            System.out.printf("%d devices (%d VMs x 7, %d queues), %d polls each: %d samples on %d partitions, mean value %d bytes%n",
                    fleet.deviceCount(), fleet.vms().size(), fleet.queueCount(), polls, records, end.size(), bytes / records);
            System.out.println("app settings: " + (settings.isEmpty() ? "the defaults" : settings + ", the rest default"));
            Means floor = new Means();
            Means skeleton = new Means();
            Means app = new Means();
            for (int round = 1; round <= rounds; round++) {
                Phase f = floor.add(floor(workspace, end, records));
                System.out.printf("round %d floor    (consume + Avro decode): %s%n", round, f);
                StreamsAppConfig skeletonConfig = BenchSupport.config(workspace, "bench-skeleton-" + round, settings);
                Phase s = skeleton.add(streamsPhase(workspace, end, records, skeletonConfig.streams().applicationId(),
                        () -> Subject.of(DesignMinimum.streams(skeletonConfig))));
                System.out.printf("round %d skeleton (get + put, EOS):       %s%n", round, s);
                String appId = "bench-throughput-" + round;
                Phase a = app.add(streamsPhase(workspace, end, records, appId,
                        () -> Subject.of(BenchSupport.application(workspace, appId, settings))));
                System.out.printf("round %d app      (full topology, EOS):  %s%n", round, a);
                System.out.printf("round %d ratios per CPU-second: skeleton / floor %.2f, app / floor %.2f, app / skeleton %.2f; wall: %.2f, %.2f, %.2f%n",
                        round, s.cpuRate() / f.cpuRate(), a.cpuRate() / f.cpuRate(), a.cpuRate() / s.cpuRate(),
                        s.rate() / f.rate(), a.rate() / f.rate(), a.rate() / s.rate());
            }
            verifyOutputs(workspace, fleet.deviceCount(), records, rounds);
            System.out.printf("mean floor:    %.0f samples/s wall, %.0f samples per CPU-second%n", floor.rate(), floor.cpuRate());
            System.out.printf("mean skeleton: %.0f samples/s wall, %.0f samples per CPU-second%n", skeleton.rate(), skeleton.cpuRate());
            System.out.printf("mean app:      %.0f samples/s wall, %.0f samples per CPU-second%n", app.rate(), app.cpuRate());
            double skeletonRatio = skeleton.cpuRate() / floor.cpuRate();
            System.out.printf("ratio skeleton / floor: %.2f wall, %.2f per CPU-second (%s)%n", skeleton.rate() / floor.rate(), skeletonRatio,
                    skeletonRatio < 0.5 ? "below 0.5: no application under these constraints reaches the goal" : "the constraints alone leave room for 0.5");
            System.out.printf("ratio app / skeleton:   %.2f wall, %.2f per CPU-second%n", app.rate() / skeleton.rate(), app.cpuRate() / skeleton.cpuRate());
            System.out.printf("ratio app / floor:      %.2f wall (one stream thread vs one consumer thread), %.2f per CPU-second (goal >= 0.5)%n",
                    app.rate() / floor.rate(), app.cpuRate() / floor.cpuRate());
        }
        System.out.println("load average at end: " + BenchSupport.loadAverage());
    }

    /** Every device's polls, round by round as a fleet publishes them; returns the value bytes. */
    private static long produce(Workspace workspace, Fleet fleet, int polls, String topic) {
        Serializer<VirtioSample> serializer = SERDES.sample().serializer();
        long bytes = 0;
        long start = System.nanoTime();
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.agentProducer(workspace.broker.bootstrapServers())) {
            for (int poll = 0; poll < polls; poll++) {
                Instant time = Samples.T0.plus(Samples.POLL.multipliedBy(poll));
                for (Fleet.Vm vm : fleet.vms()) {
                    for (int device = 0; device < vm.devices().size(); device++) {
                        var record = BenchSupport.record(topic, Fleet.healthy(vm, device, poll, time), serializer);
                        bytes += record.value().length;
                        producer.send(record);
                    }
                }
            }
            producer.flush();
        }
        System.out.printf("pre-produced in %.1f s (not timed)%n", seconds(start));
        return bytes;
    }

    /** Sums of one side's rounds; the means are sums over the round count, which cancels in ratios. */
    private static final class Means {
        private int rounds;
        private double rate;
        private double cpuRate;

        Phase add(Phase phase) {
            rounds++;
            rate += phase.rate();
            cpuRate += phase.cpuRate();
            return phase;
        }

        double rate() {
            return rate / rounds;
        }

        double cpuRate() {
            return cpuRate / rounds;
        }
    }

    private record Phase(long records, double startupSeconds, double seconds, Usage cpu, double cpuSeconds) {
        double rate() {
            return records / seconds;
        }

        double cpuRate() {
            return records / cpuSeconds;
        }

        @Override
        public String toString() {
            String split = cpu.groups().containsKey("stream")
                    ? " (stream thread %.2f, its producer %.2f, other app threads %.2f)".formatted(cpu.of("stream"), cpu.of("producer"),
                            cpu.of("other"))
                    : "";
            return "%d samples in %.2f s = %.0f samples/s; own threads %.2f CPU-s%s = %.0f samples per CPU-second; process %.2f CPU-s (unattributed %.2f)%s"
                    .formatted(records, seconds, rate(), cpuSeconds, split, cpuRate(), cpu.process(), cpu.unattributed(),
                            startupSeconds > 0 ? "; startup to RUNNING %.2f s, not counted".formatted(startupSeconds) : "");
        }
    }

    /** The floor: one consumer thread polls every partition from the start and decodes every value. */
    private static Phase floor(Workspace workspace, Map<TopicPartition, Long> end, long records) throws Exception {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, workspace.broker.bootstrapServers());
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "floor-consumer");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // As Kafka Streams configures its consumer (read_committed under EOS, 1000 records per poll).
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        AtomicReference<double[]> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Deserializer<VirtioSample> deserializer = SERDES.sample().deserializer();
        CpuMeter meter = new CpuMeter();
        Thread thread = Thread.ofPlatform().name("floor-consumer").start(() -> {
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<TopicPartition> partitions = List.copyOf(end.keySet());
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                long seen = 0;
                long checksum = 0;
                long start = System.nanoTime();
                long deadline = start + PATIENCE.toNanos();
                while (seen < records) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        VirtioSample sample = deserializer.deserialize(record.topic(), record.value());
                        checksum += sample.getQueues().size();
                        seen++;
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("floor read " + seen + " of " + records + " within " + PATIENCE);
                    }
                }
                result.set(new double[] {seconds(start), checksum});
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.join();
        Usage cpu = meter.stop(Map.of("floor", name -> name.contains("floor-consumer")));
        if (failure.get() != null) {
            throw new IllegalStateException("floor failed", failure.get());
        }
        return new Phase(records, 0, result.get()[0], cpu, cpu.of("floor"));
    }

    /** What a streams phase runs: the detection application or the skeleton's bare KafkaStreams. */
    private record Subject(Runnable start, Supplier<KafkaStreams.State> state, Runnable stop) implements AutoCloseable {
        static Subject of(DetectionApplication application) {
            return new Subject(application::start, application::state, application::close);
        }

        static Subject of(KafkaStreams streams) {
            return new Subject(streams::start, streams::state, streams::close);
        }

        @Override
        public void close() {
            stop.run();
        }
    }

    private interface SubjectFactory {
        Subject create() throws Exception;
    }

    /**
     * A streams application from start until its committed offsets reach the end of the samples;
     * startup reported apart. Its threads are told apart by the application id in their names.
     */
    private static Phase streamsPhase(Workspace workspace, Map<TopicPartition, Long> end, long records, String applicationId,
            SubjectFactory factory) throws Exception {
        Predicate<String> own = name -> name.contains(applicationId);
        try (Subject subject = factory.create()) {
            long start = System.nanoTime();
            subject.start().run();
            long deadline = start + PATIENCE.toNanos();
            while (subject.state().get() != KafkaStreams.State.RUNNING) {
                check(subject, deadline, "RUNNING");
                Thread.sleep(5);
            }
            long running = System.nanoTime();
            double startup = (running - start) / 1e9;
            CpuMeter meter = new CpuMeter();
            while (BenchSupport.committed(workspace.admin, applicationId, end) < records) {
                check(subject, deadline, "all offsets committed");
                Thread.sleep(20);
            }
            double processing = seconds(running);
            // First matching group wins: the stream thread's producer, the stream thread, the app's other threads.
            Map<String, Predicate<String>> groups = new LinkedHashMap<>();
            groups.put("producer", name -> own.test(name) && name.contains("-producer"));
            groups.put("stream", name -> own.test(name) && name.contains("StreamThread"));
            groups.put("other", own);
            Usage cpu = meter.stop(groups);
            return new Phase(records, startup, processing, cpu, cpu.of("producer") + cpu.of("stream") + cpu.of("other"));
        }
    }

    /**
     * What the app phases wrote, read_committed: a health record for every device (one per device per
     * phase with the default health-refresh-after, since the polls span less than a minute of sample
     * time; one per sample with 0s), never more than one per sample, and no alert from a healthy fleet.
     */
    private static void verifyOutputs(Workspace workspace, int devices, long samples, int rounds) throws Exception {
        Set<String> keys = new HashSet<>();
        long health = readCommitted(workspace, BenchSupport.topics().health(), key -> keys.add(new String(key, StandardCharsets.UTF_8)));
        long alerts = readCommitted(workspace, BenchSupport.topics().alerts(), key -> { });
        System.out.printf("outputs (read_committed): %d health records of %d devices over %d app phases (%.2f per sample), %d alerts (expected 0)%n",
                health, keys.size(), rounds, (double) health / (samples * rounds), alerts);
        if (keys.size() != devices || health < (long) devices * rounds || health > samples * rounds || alerts != 0) {
            throw new IllegalStateException("the app did not produce what the healthy fleet should give");
        }
    }

    /** Reads {@code topic} to its end, read_committed; returns the record count and hands each key to {@code keys}. */
    private static long readCommitted(Workspace workspace, String topic, Consumer<byte[]> keys) throws Exception {
        Map<TopicPartition, Long> end = BenchSupport.endOffsets(workspace.admin, topic);
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, workspace.broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(end.keySet());
            consumer.seekToBeginning(end.keySet());
            long count = 0;
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            // Transaction markers take offsets too: read until every position reaches its end offset.
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    keys.accept(record.key());
                    count++;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("cannot read " + topic + " to its end");
                }
            }
            return count;
        }
    }

    private static void check(Subject subject, long deadline, String awaited) {
        if (System.nanoTime() > deadline || subject.state().get() == KafkaStreams.State.ERROR) {
            throw new IllegalStateException("application " + subject.state().get() + ", not " + awaited + " within " + PATIENCE);
        }
    }
}
