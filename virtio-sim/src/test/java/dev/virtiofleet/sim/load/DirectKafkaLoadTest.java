package dev.virtiofleet.sim.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import dev.virtiofleet.topics.FleetTopics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Samples published straight to a real broker arrive complete, decode, and carry each host run's sequence without gaps. */
@ExtendWith(KafkaBrokerExtension.class)
class DirectKafkaLoadTest {
    private static final String TOPIC = FleetTopics.SAMPLES.name();
    private static final String BLK = "/machine/peripheral/blk0/virtio-backend";
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));

    @Test
    void samplesArriveDecodedKeyedAndInSequence(KafkaBroker broker) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
        Map<String, List<SimulatedVm>> hosts = new LinkedHashMap<>();
        hosts.put("hv-a", vms("a", 3, false));
        hosts.put("hv-b", vms("b", 3, true));
        int devicesPerVm = 7;
        int expected = 2 * 6 * devicesPerVm;

        DirectLoadConfig config = DirectLoadConfig.of(broker.bootstrapServers(), 0).withThreads(2);
        List<HostRun> runs;
        try (DirectKafkaLoad load = new DirectKafkaLoad(hosts, config, clock)) {
            assertEquals(expected / 2, load.publishRounds(1).acknowledged());
            clock.advance(Duration.ofSeconds(10));
            LoadStats stats = load.publishRounds(1);
            assertEquals(new LoadStats(expected, expected, 0, Optional.empty()), stats);
            runs = load.runs();
        }

        List<ConsumerRecord<byte[], byte[]>> records = consume(broker.bootstrapServers(), expected);
        assertEquals(expected, records.size());
        Deserializer<VirtioSample> deserializer = FleetSerdes.singleObject().sample().deserializer();
        Map<String, List<Long>> sequencesByRun = new LinkedHashMap<>();
        Map<String, List<VirtioSample>> byKey = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : records) {
            VirtioSample sample = deserializer.deserialize(TOPIC, record.value());
            String key = new String(record.key(), StandardCharsets.UTF_8);
            assertEquals(sample.getHostId() + "/" + sample.getVmUuid() + "/" + sample.getDevicePath(), key);
            sequencesByRun.computeIfAbsent(sample.getAgentRunId(), r -> new ArrayList<>()).add(sample.getAgentSequence());
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(sample);
        }

        assertEquals(2, runs.size());
        assertNotEquals(runs.get(0).runId(), runs.get(1).runId());
        for (HostRun run : runs) {
            List<Long> sequences = new ArrayList<>(sequencesByRun.get(run.runId()));
            sequences.sort(null);
            assertEquals(LongStream.range(0, run.issued()).boxed().toList(), sequences, run.hostId() + ": every sequence once, no gap");
        }
        assertEquals(6 * devicesPerVm, byKey.size(), "one key per device");
        byKey.forEach((key, samples) -> {
            assertEquals(2, samples.size(), key);
            assertTrue(samples.get(0).getAgentSequence() < samples.get(1).getAgentSequence(), key + " in order");
        });

        // Built from the devices' own state: the busy block queue moved between the rounds.
        VirtioSample firstBlk = byKey.get("hv-a/" + hosts.get("hv-a").getFirst().uuid() + "/" + BLK).get(0);
        VirtioSample secondBlk = byKey.get("hv-a/" + hosts.get("hv-a").getFirst().uuid() + "/" + BLK).get(1);
        int moved = (secondBlk.getQueues().getFirst().getStatus().getUsedIdx()
                - firstBlk.getQueues().getFirst().getStatus().getUsedIdx()) & 0xffff;
        assertEquals(2000, moved, "200 requests/s for 10 s");
        assertEquals("running", firstBlk.getVmRunState());

        // The vhost-user rule: no queue status (it would stop the ring), vhost status and elements instead.
        VirtioSample vhostUser = byKey.get("hv-b/" + hosts.get("hv-b").getFirst().uuid() + "/" + BLK).get(1);
        QueueSample queue = vhostUser.getQueues().getFirst();
        assertNull(queue.getStatus());
        assertTrue(queue.getVhostStatus() != null && queue.getElement() != null, queue.toString());
        assertTrue(vhostUser.getErrors().stream().allMatch(e -> e.getKind() == CommandErrorKind.SKIPPED_UNSAFE), vhostUser.getErrors().toString());
    }

    private List<SimulatedVm> vms(String prefix, int count, boolean vhostUserBlk) {
        return IntStream.range(0, count).mapToObj(i -> {
            String name = prefix + "-" + i;
            SimulatedVm vm = new SimulatedVm(ReferenceMachines.transcriptGuest(name,
                    UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)), NetOptions.defaults(), 1, vhostUserBlk), clock);
            vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(200));
            return vm;
        }).toList();
    }

    private static List<ConsumerRecord<byte[], byte[]>> consume(String bootstrap, int expected) {
        Map<String, Object> props = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "direct-load-test", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            // Anything beyond the expected count would be a duplicate: look once more.
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
        }
        return records;
    }
}
