package dev.virtiofleet.streams.bench;

import static dev.virtiofleet.streams.bench.BenchSupport.SERDES;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.bench.BenchSupport.Workspace;
import dev.virtiofleet.topics.DeviceKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Benchmark, not a test: detection latency of a stalled virtqueue, in real time. A fleet of
 * transcript VMs is polled at a fixed cadence (the producer stands in for the agents: every poll
 * interval it publishes one sample per device with the current wall clock as event time, with the
 * agent's producer settings). At staggered times the blk request queue of STALLS VMs stops
 * completing (one request taken, used-idx frozen) while every other device stays healthy. A
 * read_committed consumer of virtio.alerts timestamps each QUEUE_STALLED FIRING on arrival;
 * latency = arrival - event time of the first stalled sample (the alert's startedAt, checked
 * against what was sent).
 *
 * <p>Printed against the ideal, threshold + one poll interval + commit interval (a stall
 * that begins just after a poll is seen one poll later). Measured from the first stalled sample
 * that poll is already behind us, so the floor here is threshold + at most one commit interval.
 *
 * <p>Arguments: [devices (2000)] [stalls (100)] [poll interval ms (1000)] [threshold ms (5000)]
 * [stall window s (60)].
 */
public final class DetectionLatencyBench {
    private static final Duration COMMIT_INTERVAL = Duration.ofMillis(100);
    private static final int WARMUP_POLLS = 15;

    public static void main(String[] args) throws Exception {
        int deviceTarget = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int stalls = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        long pollMs = args.length > 2 ? Long.parseLong(args[2]) : 1000;
        long thresholdMs = args.length > 3 ? Long.parseLong(args[3]) : 5000;
        long windowMs = (args.length > 4 ? Long.parseLong(args[4]) : 60) * 1000;
        System.out.println("load average at start: " + BenchSupport.loadAverage());
        Fleet fleet = Fleet.ofDevices(deviceTarget);
        if (stalls > fleet.vms().size()) {
            throw new IllegalArgumentException("at most one stall per VM: " + fleet.vms().size() + " VMs");
        }
        // Stall k hits VM k * spacing at poll WARMUP + k * window / stalls: spread over hosts and time.
        int spacing = fleet.vms().size() / stalls;
        Map<Integer, Integer> stallPollByVm = new ConcurrentHashMap<>();
        for (int k = 0; k < stalls; k++) {
            stallPollByVm.put(k * spacing, WARMUP_POLLS + (int) (k * windowMs / stalls / pollMs));
        }
        int lastStallPoll = Collections.max(stallPollByVm.values());
        int maxPolls = lastStallPoll + (int) ((thresholdMs + 20_000) / pollMs);
        System.out.printf("%d devices (%d VMs x 7), one sample per device every %d ms; %d blk request queues stall between poll %d and %d;"
                + " queue-stalled fire-after %d ms, commit interval %d ms%n", fleet.deviceCount(), fleet.vms().size(), pollMs, stalls,
                WARMUP_POLLS, lastStallPoll, thresholdMs, COMMIT_INTERVAL.toMillis());

        try (Workspace workspace = new Workspace("detection-latency-bench")) {
            workspace.createFleetTopics();
            try (DetectionApplication application = BenchSupport.application(workspace, "bench-latency", Map.of(
                    "commit-interval", COMMIT_INTERVAL.toMillis() + "ms",
                    "detect.rules.queue-stalled.fire-after", thresholdMs + "ms"))) {
                application.start();
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (application.state() != KafkaStreams.State.RUNNING) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("application not RUNNING: " + application.state());
                    }
                    Thread.sleep(20);
                }
                Map<String, Instant> stallStart = new ConcurrentHashMap<>();
                List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
                AtomicLong unexpected = new AtomicLong();
                AtomicLong mismatched = new AtomicLong();
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread reader = Thread.ofPlatform().name("alert-reader").start(() -> {
                    try {
                        readAlerts(workspace, stalls, maxPolls * pollMs + 30_000, stallStart, latencies, unexpected, mismatched);
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                long lagMs = publish(workspace, fleet, stallPollByVm, pollMs, maxPolls, stallStart, () -> latencies.size() >= stalls);
                reader.join();
                if (failure.get() != null) {
                    throw new IllegalStateException("alert reader failed", failure.get());
                }
                report(latencies, stalls, unexpected.get(), mismatched.get(), thresholdMs, pollMs, lagMs);
            }
        }
        System.out.println("load average at end: " + BenchSupport.loadAverage());
    }

    /** Polls the fleet in real time until {@code done} or maxPolls; returns the worst lateness of a poll round, ms. */
    private static long publish(Workspace workspace, Fleet fleet, Map<Integer, Integer> stallPollByVm, long pollMs, int maxPolls,
            Map<String, Instant> stallStart, BooleanSupplier done) throws InterruptedException {
        String topic = BenchSupport.topics().samples();
        Serializer<VirtioSample> serializer = SERDES.sample().serializer();
        long worstLag = 0;
        long begin = System.currentTimeMillis();
        try (KafkaProducer<byte[], byte[]> producer = BenchSupport.agentProducer(workspace.broker.bootstrapServers())) {
            for (int poll = 0; poll < maxPolls && !done.getAsBoolean(); poll++) {
                long due = begin + poll * pollMs;
                long wait = due - System.currentTimeMillis();
                if (wait > 0) {
                    Thread.sleep(wait);
                } else {
                    worstLag = Math.max(worstLag, -wait);
                }
                for (Fleet.Vm vm : fleet.vms()) {
                    Integer stallPoll = stallPollByVm.get(vm.index());
                    for (int device = 0; device < vm.devices().size(); device++) {
                        // Avro's timestamp-millis: what the alert's startedAt will carry.
                        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
                        VirtioSample sample = stallPoll != null && device == Fleet.blkDevice() && poll >= stallPoll
                                ? Fleet.stalled(vm, stallPoll, poll, now)
                                : Fleet.healthy(vm, device, poll, now);
                        if (stallPoll != null && device == Fleet.blkDevice() && poll == stallPoll) {
                            stallStart.put(DeviceKey.of(sample).asString(), now);
                        }
                        producer.send(BenchSupport.record(topic, sample, serializer));
                    }
                }
            }
            producer.flush();
        }
        return worstLag;
    }

    private static void readAlerts(Workspace workspace, int stalls, long patienceMs, Map<String, Instant> stallStart, List<Long> latencies,
            AtomicLong unexpected, AtomicLong mismatched) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, workspace.broker.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        String topic = BenchSupport.topics().alerts();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.currentTimeMillis() + patienceMs;
            while (latencies.size() < stalls && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long arrived = System.currentTimeMillis();
                    VirtioAlert alert = SERDES.alert().deserializer().deserialize(topic, record.value());
                    var subject = alert.getSubject();
                    String device = new DeviceKey(subject.getHostId(),
                            subject.getVmUuid() != null ? subject.getVmUuid() : subject.getVmName(), subject.getDevicePath()).asString();
                    Instant started = stallStart.get(device);
                    if (alert.getKind() != AlertKind.QUEUE_STALLED || alert.getState() != AlertState.FIRING || started == null) {
                        unexpected.incrementAndGet();
                        System.out.printf("unexpected alert: %s %s %s%n", alert.getKind(), alert.getState(), alert.getAlertId());
                        continue;
                    }
                    if (!alert.getStartedAt().equals(started)) {
                        mismatched.incrementAndGet();
                    }
                    latencies.add(arrived - started.toEpochMilli());
                }
            }
        }
    }

    private static void report(List<Long> latencies, int stalls, long unexpected, long mismatched, long thresholdMs, long pollMs, long lagMs) {
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        long ideal = thresholdMs + pollMs + COMMIT_INTERVAL.toMillis();
        System.out.printf("FIRING seen for %d of %d stalls; %d unexpected alerts; %d with startedAt != first stalled sample; "
                + "producer worst lateness %d ms%n", sorted.size(), stalls, unexpected, mismatched, lagMs);
        if (sorted.isEmpty()) {
            throw new IllegalStateException("no stall was detected");
        }
        System.out.printf("latency first stalled sample -> FIRING on virtio.alerts (read_committed): min %d ms, p50 %d ms, p99 %d ms, max %d ms%n",
                sorted.getFirst(), percentile(sorted, 50), percentile(sorted, 99), sorted.getLast());
        System.out.printf("ideal (threshold %d + poll %d + commit %d): %d ms; p50/ideal %.2f, p99/ideal %.2f%n", thresholdMs, pollMs,
                COMMIT_INTERVAL.toMillis(), ideal, percentile(sorted, 50) / (double) ideal, percentile(sorted, 99) / (double) ideal);
        System.out.printf("floor from the first stalled sample (threshold + commit): %d ms; p50 above it by %d ms, p99 by %d ms%n",
                thresholdMs + COMMIT_INTERVAL.toMillis(), percentile(sorted, 50) - thresholdMs - COMMIT_INTERVAL.toMillis(),
                percentile(sorted, 99) - thresholdMs - COMMIT_INTERVAL.toMillis());
        if (sorted.size() < stalls) {
            throw new IllegalStateException((stalls - sorted.size()) + " stalls were not detected in time");
        }
    }

    /** Nearest-rank percentile. */
    private static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }
}
