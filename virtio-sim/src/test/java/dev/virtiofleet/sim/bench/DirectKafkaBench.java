package dev.virtiofleet.sim.bench;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.load.DirectKafkaLoad;
import dev.virtiofleet.sim.load.DirectLoadConfig;
import dev.virtiofleet.sim.load.HostRun;
import dev.virtiofleet.sim.load.InProcessSweep;
import dev.virtiofleet.sim.load.LoadStats;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.workload.Traffic;
import dev.virtiofleet.topics.FleetTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
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
 * alternate raw, direct, raw, direct so neither gets all the warm-up. Arguments: [vms] [rounds per
 * direct phase] [direct threads]; run it with {@code scripts/bench.sh direct-kafka}.
 */
public final class DirectKafkaBench {
    public static void main(String[] args) throws Exception {
        int vmCount = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
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
            System.out.printf("%d VMs (7 devices, 77 queues each), %d samples per sweep round, mean record %d bytes; "
                    + "%d samples per phase, %d direct threads%n", vmCount, records.size(),
                    records.stream().mapToLong(r -> r.value().length).sum() / records.size(), perPhase, threads);
            double rawTotal = 0;
            double directTotal = 0;
            for (int phase = 1; phase <= 2; phase++) {
                double raw = raw(config, records, perPhase);
                System.out.printf("phase %d raw producer (pre-serialized): %.0f samples/s%n", phase, raw);
                double direct = direct(hosts, config, clock, rounds);
                System.out.printf("phase %d direct-to-Kafka (sweep + map + serialize + send): %.0f samples/s%n", phase, direct);
                rawTotal += raw;
                directTotal += direct;
            }
            System.out.printf("ratio direct / raw floor: %.2f (goal >= 0.8)%n", directTotal / rawTotal);
        } finally {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private record Record(byte[] key, byte[] value) {}

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

    private static double raw(DirectLoadConfig config, List<Record> records, long count) {
        LongAdder acknowledged = new LongAdder();
        long start = System.nanoTime();
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
        double seconds = (System.nanoTime() - start) / 1e9;
        if (acknowledged.sum() != count) {
            throw new IllegalStateException("raw producer: " + acknowledged.sum() + " of " + count + " acknowledged");
        }
        return count / seconds;
    }

    private static double direct(Map<String, List<SimulatedVm>> hosts, DirectLoadConfig config, InstantSource clock, int rounds)
            throws InterruptedException {
        long start = System.nanoTime();
        try (DirectKafkaLoad load = new DirectKafkaLoad(hosts, config, clock)) {
            LoadStats stats = load.publishRounds(rounds);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (stats.acknowledged() != stats.sent() || stats.failed() != 0) {
                throw new IllegalStateException("direct load: " + stats);
            }
            return stats.sent() / seconds;
        }
    }
}
