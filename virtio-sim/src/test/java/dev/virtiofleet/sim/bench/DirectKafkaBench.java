package dev.virtiofleet.sim.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.load.DirectKafkaLoad;
import dev.virtiofleet.sim.load.DirectLoadConfig;
import dev.virtiofleet.sim.load.HostRun;
import dev.virtiofleet.sim.load.InProcessSweep;
import dev.virtiofleet.sim.load.LoadStats;
import dev.virtiofleet.sim.load.SampleEncoder;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.workload.Traffic;
import dev.virtiofleet.topics.FleetTopics;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Benchmark (b), not a test: samples/s of the direct-to-Kafka mode into a real in-process broker,
 * against the broker's ingest floor measured in the same run: a raw producer with the same
 * settings sending the same records, pre-serialized (kafka-producer-perf-test style). Phases
 * alternate raw, direct, raw, direct (pairs of them, six unless told) so neither gets all the
 * warm-up, and the ratio is reported as the median of the pairs' ratios besides the sums'. Each phase also prints the
 * process's CPU time per sample (broker, producer and sweeping threads together), and a last
 * phase makes the samples without sending them (sweep, map, encode, key), which is what the
 * direct mode adds to the floor's work, with its first round (every device read and encoded in
 * full) and the sweep's share told apart. Arguments: [vms] [rounds per direct phase] [direct
 * threads] [phase pairs]; run it with {@code scripts/bench.sh direct-kafka}.
 */
public final class DirectKafkaBench {
    public static void main(String[] args) throws Exception {
        int vmCount = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        // 60 rounds (420,000 samples at 1000 VMs): a warm raw phase then lasts about a second; at 10
        // it lasted a fifth of one, and the ratio mostly measured warm-up and timer noise.
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int pairs = args.length > 3 ? Integer.parseInt(args[3]) : 6;
        if (pairs < 1) {
            throw new IllegalArgumentException("phase pairs (fourth argument) must be at least 1, got " + pairs);
        }
        Path dataDir = Files.createTempDirectory("direct-bench");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(dataDir)) {
            String topic = FleetTopics.SAMPLES.name();
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic(topic, FleetTopics.SAMPLES.partitions(), (short) 1))).all().get();
            }
            InstantSource clock = InstantSource.system();
            List<SimulatedVm> vms = new ArrayList<>();
            for (int i = 0; i < vmCount; i++) {
                String name = "vm-" + i;
                SimulatedVm vm = new SimulatedVm(ReferenceMachines.transcriptGuest(name,
                        UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)), NetOptions.defaults()), clock);
                vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(200));
                vm.setTraffic(new QueueRef("net0", 0), Traffic.steady(100));
                vms.add(vm);
            }
            Map<String, List<SimulatedVm>> hosts = new LinkedHashMap<>();
            for (int i = 0; i < vms.size(); i++) {
                hosts.computeIfAbsent("host-" + (i % 10), h -> new ArrayList<>()).add(vms.get(i));
            }
            DirectLoadConfig config = DirectLoadConfig.of(broker.bootstrapServers(), 0).withThreads(threads);
            List<Record> records = records(vms, clock, topic);
            long perPhase = (long) records.size() * rounds;
            System.out.println("start: " + loadAverage());
            System.out.printf("%d VMs (7 devices, 77 queues each), %d samples per sweep round, mean record %d bytes; "
                    + "%d samples per phase, %d direct threads%n", vmCount, records.size(),
                    records.stream().mapToLong(r -> r.value().length).sum() / records.size(), perPhase, threads);
            List<Double> rawRates = new ArrayList<>();
            List<Double> directRates = new ArrayList<>();
            List<Double> pairRatios = new ArrayList<>();
            for (int phase = 1; phase <= pairs; phase++) {
                Measured raw = measured(() -> raw(config, records, perPhase));
                System.out.printf("phase %d raw producer (pre-serialized): %.0f samples/s, %.1f us process CPU per sample%n",
                        phase, raw.perSecond(), raw.cpuMicrosPerSample());
                Measured direct = measured(() -> direct(hosts, config, clock, rounds));
                System.out.printf("phase %d direct-to-Kafka (sweep + map + encode + send): %.0f samples/s, %.1f us process CPU per sample%n",
                        phase, direct.perSecond(), direct.cpuMicrosPerSample());
                rawRates.add(raw.perSecond());
                directRates.add(direct.perSecond());
                pairRatios.add(direct.perSecond() / raw.perSecond());
            }
            MakingTimes times = new MakingTimes(new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder());
            Measured making = measured(() -> makeOnly(hosts, clock, rounds, threads, times));
            System.out.printf("making alone, %d threads, no Kafka (sweep + map + encode + key): %.0f samples/s, %.1f us process CPU, "
                    + "%.1f us of the making threads' CPU per sample (first round %.1f us, later rounds %.1f us; "
                    + "sweeping %.0f %% of the making threads' wall time)%n", threads, making.perSecond(), making.cpuMicrosPerSample(),
                    times.threadCpu().sum() / 1e3 / perPhase, times.firstRoundCpu().sum() / 1e3 / records.size(),
                    (times.threadCpu().sum() - times.firstRoundCpu().sum()) / 1e3 / Math.max(1, perPhase - records.size()),
                    100.0 * times.sweepWall().sum() / times.wall().sum());
            // The first pair carries the JIT's warm-up; the median of the pairs' ratios, each raw phase
            // against the direct phase right after it, is what a neighbour's burst moves least.
            System.out.printf("median of %d phases: raw %.0f, direct %.0f samples/s; ratio direct / raw floor: "
                    + "median of pairs %.2f (pairs %s), of medians %.2f, of sums %.2f (goal >= 0.8)%n", pairs, median(rawRates),
                    median(directRates), median(pairRatios), pairRatios.stream().map(r -> String.format("%.2f", r)).toList(),
                    median(directRates) / median(rawRates),
                    directRates.stream().mapToDouble(Double::doubleValue).sum() / rawRates.stream().mapToDouble(Double::doubleValue).sum());
            System.out.println("end: " + loadAverage());
        } finally {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private record Record(byte[] key, byte[] value) {}

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int mid = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(mid) : (sorted.get(mid - 1) + sorted.get(mid)) / 2;
    }

    /**
     * The making threads' CPU time, all and in the first round (which reads and encodes every
     * device in full), and their wall time, all and in sweeping (the rest is encoding and keys).
     */
    private record MakingTimes(LongAdder threadCpu, LongAdder firstRoundCpu, LongAdder wall, LongAdder sweepWall) {}

    /** A phase's samples per second (wall clock) and the whole process's CPU time per sample. */
    private record Measured(double perSecond, double cpuMicrosPerSample) {}

    private interface Phase {
        /** Runs the phase; returns how many samples it handled. */
        long run() throws Exception;
    }

    private static Measured measured(Phase phase) throws Exception {
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu = os.getProcessCpuTime();
        long start = System.nanoTime();
        long samples = phase.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Measured(samples / seconds, (os.getProcessCpuTime() - cpu) / 1e3 / samples);
    }

    private static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return "load average " + fields[0] + " " + fields[1] + " " + fields[2] + " on "
                    + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException e) {
            return "load average unknown (" + e.getMessage() + ")";
        }
    }

    /** One sweep round's samples, serialized once: the raw producer's records. */
    private static List<Record> records(List<SimulatedVm> vms, InstantSource clock, String topic) {
        Serializer<VirtioSample> serializer = FleetSerdes.singleObject().sample().serializer();
        HostRun run = new HostRun("bench-host", UUID.randomUUID().toString());
        List<Record> records = new ArrayList<>();
        for (SimulatedVm vm : vms) {
            for (VirtioSample sample : InProcessSweep.overQmp(vm, QemuVersion.DEBIAN_7_2, clock).sweep(run)) {
                records.add(new Record(DirectKafkaLoad.keyOf(sample).getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(topic, sample)));
            }
        }
        return records;
    }

    private static long raw(DirectLoadConfig config, List<Record> records, long count) {
        LongAdder acknowledged = new LongAdder();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(DirectKafkaLoad.producerProperties(config),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < count; i++) {
                Record record = records.get((int) (i % records.size()));
                producer.send(new ProducerRecord<>(config.topic(), record.key(), record.value()), (m, e) -> {
                    if (e == null) {
                        acknowledged.increment();
                    }
                });
            }
            producer.flush();
        }
        if (acknowledged.sum() != count) {
            throw new IllegalStateException("raw producer: " + acknowledged.sum() + " of " + count + " acknowledged");
        }
        return count;
    }

    private static long direct(Map<String, List<SimulatedVm>> hosts, DirectLoadConfig config, InstantSource clock, int rounds)
            throws InterruptedException {
        try (DirectKafkaLoad load = new DirectKafkaLoad(hosts, config, clock)) {
            LoadStats stats = load.publishRounds(rounds);
            if (stats.acknowledged() != stats.sent() || stats.failed() != 0) {
                throw new IllegalStateException("direct load: " + stats);
            }
            return stats.sent();
        }
    }

    /** What the direct mode does per sample before the producer: sweep, map, encode, key; VMs shared out as it does. */
    private static long makeOnly(Map<String, List<SimulatedVm>> hosts, InstantSource clock, int rounds, int threads,
            MakingTimes times)
            throws InterruptedException {
        Map<String, HostRun> runs = new HashMap<>();
        hosts.keySet().forEach(host -> runs.put(host, new HostRun(host, UUID.randomUUID().toString())));
        LongAdder made = new LongAdder();
        LongAdder bytes = new LongAdder();
        List<Thread> workers = new ArrayList<>();
        for (Map<String, List<SimulatedVm>> share : DirectKafkaLoad.shareOut(hosts, threads)) {
            Map<InProcessSweep, HostRun> sweeps = new LinkedHashMap<>();
            share.forEach((host, vms) -> vms.forEach(vm -> sweeps.put(InProcessSweep.direct(vm, QemuVersion.DEBIAN_7_2, clock), runs.get(host))));
            workers.add(Thread.ofPlatform().start(() -> {
                SampleEncoder encoder = new SampleEncoder();
                Map<InProcessSweep, Map<String, SampleEncoder.Device>> devices = new HashMap<>();
                long started = System.nanoTime();
                for (int round = 0; round < rounds; round++) {
                    for (Map.Entry<InProcessSweep, HostRun> sweep : sweeps.entrySet()) {
                        Map<String, SampleEncoder.Device> ofVm = devices.computeIfAbsent(sweep.getKey(), s -> new HashMap<>());
                        long sweepStarted = System.nanoTime();
                        List<VirtioSample> samples = sweep.getKey().sweep(sweep.getValue());
                        times.sweepWall().add(System.nanoTime() - sweepStarted);
                        for (VirtioSample sample : samples) {
                            SampleEncoder.Device device = ofVm.computeIfAbsent(sample.getDevicePath(), p -> new SampleEncoder.Device());
                            bytes.add(device.key(sample).length + encoder.encode(sample, device).length);
                            made.increment();
                        }
                    }
                    if (round == 0) {
                        times.firstRoundCpu().add(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                    }
                }
                times.wall().add(System.nanoTime() - started);
                times.threadCpu().add(ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
        return made.sum();
    }
}
