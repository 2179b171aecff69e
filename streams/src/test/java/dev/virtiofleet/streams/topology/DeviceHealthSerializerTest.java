package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.health.HealthBuilder;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.SnapshotReader;
import dev.virtiofleet.streams.testing.Samples;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class DeviceHealthSerializerTest {
    private final Serializer<DeviceHealth> handWritten = new DeviceHealthSerializer();
    private final Serializer<DeviceHealth> avro = FleetSerdes.singleObject().health().serializer();

    @Test
    void writesWhatAvroWritesForTheRecordsDetectionMakes() throws Exception {
        DeviceMonitor monitor = new DeviceMonitor(DetectionConfig.defaults());
        List<DeviceHealth> records = new ArrayList<>();
        for (String device : Samples.RUNNING_DEVICES) {
            records.addAll(healthAlong(monitor, Samples.of(Samples.RUNNING, device, true), 3));
            records.addAll(healthAlong(monitor, Samples.paused(Samples.of(Samples.RUNNING, device, false)), 2));
        }
        // A hung backend: clocks, then a firing alert in the record.
        records.addAll(healthAlong(monitor, Samples.of(Samples.HUNG, Samples.BLK, false), 6));
        records.addAll(healthAlong(monitor, Samples.of(Samples.MRG_RXBUF_OFF, Samples.NET, false), 3));
        assertEquals(true, records.stream().anyMatch(record -> !record.getActiveAlerts().isEmpty()));
        for (DeviceHealth record : records) {
            assertSameBytes(record);
        }
    }

    @Test
    void writesWhatAvroWritesForEveryShapeOfField() {
        for (HealthState state : HealthState.values()) {
            assertSameBytes(record(state, null, null, null, List.of(), List.of(), List.of(), List.of(), -1L, Instant.EPOCH));
        }
        List<QueueHealth> queues = IntStream.range(0, 70)
                .mapToObj(i -> new QueueHealth(i * 1000, QueueRole.values()[i % QueueRole.values().length],
                        i % 2 == 0 ? null : 65535 - i, i % 3 == 0 ? null : -i, i % 5 == 0 ? null : Long.MAX_VALUE - i,
                        i % 7 == 0 ? null : Instant.ofEpochMilli(-i * 1_000_000_007L)))
                .toList();
        List<ActiveAlert> alerts = new ArrayList<>();
        for (AlertKind kind : AlertKind.values()) {
            for (Severity severity : Severity.values()) {
                alerts.add(new ActiveAlert(kind.name() + "-" + severity, kind, severity, Instant.parse("2026-11-25T10:00:00.123Z")));
            }
        }
        String longName = "x".repeat(300);
        String nonAscii = "vm-é-名前-\uD83D\uDE00-\u0000-end";
        List<String> symbols = IntStream.range(0, 200).mapToObj(i -> "VIRTIO_F_" + i).toList();
        assertSameBytes(record(HealthState.CRITICAL, nonAscii, Integer.MIN_VALUE, longName, symbols, List.of(nonAscii, ""),
                queues, alerts, Long.MIN_VALUE, Instant.ofEpochMilli(Long.MAX_VALUE / 2)));
        assertSameBytes(record(HealthState.DEGRADED, "", 0, "", List.of(""), symbols, queues.subList(0, 1), alerts.subList(0, 1),
                Long.MAX_VALUE, Instant.parse("1969-12-31T23:59:59.999Z")));
    }

    @Test
    void aTombstoneStaysNull() {
        assertNull(handWritten.serialize("virtio.health", null));
    }

    private void assertSameBytes(DeviceHealth record) {
        assertArrayEquals(avro.serialize("virtio.health", record), handWritten.serialize("virtio.health", record), record::toString);
    }

    private static DeviceHealth record(HealthState state, String vmName, Integer deviceId, String group, List<String> features,
            List<String> statuses, List<QueueHealth> queues, List<ActiveAlert> alerts, long sequence, Instant time) {
        return new DeviceHealth("host-ä1", vmName, vmName == null ? null : "0d5c0a2e-7a3b-4c1e-9f00-3c2b1a000001",
                "/machine/peripheral/net0/virtio-backend", "virtio-net", deviceId, group, state, time, "run-1", sequence,
                state != HealthState.PAUSED, deviceId != null, state == HealthState.CRITICAL, statuses, features, features.reversed(),
                queues, alerts, time.plusMillis(1));
    }

    /** The health record of each of {@code count} polls of {@code sample}, as the detector would publish it. */
    private static List<DeviceHealth> healthAlong(DeviceMonitor monitor, dev.virtiofleet.avro.VirtioSample sample, int count)
            throws Exception {
        List<DeviceHealth> records = new ArrayList<>();
        Optional<DeviceState> state = Optional.empty();
        for (var polled : Samples.repeated(sample, 0, count)) {
            DeviceSnapshot snapshot = SnapshotReader.read(Samples.detected(polled));
            state = Optional.of(((Outcome.Tracked) monitor.step(state, snapshot)).state());
            records.add(HealthBuilder.of(state.get(), snapshot));
        }
        return records;
    }

    @Test
    void theSchemaIsTheOneThisEncoderFollows() {
        // Field order and types as written by DeviceHealthSerializer; a schema change must change the encoder too.
        Schema schema = DeviceHealth.getClassSchema();
        assertEquals(List.of("hostId", "vmName", "vmUuid", "devicePath", "deviceName", "deviceId", "group", "state",
                "lastSampleTime", "agentRunId", "agentSequence", "vmRunning", "driverOk", "broken", "statuses", "hostFeatures",
                "guestFeatures", "queues", "activeAlerts", "updatedAt"), schema.getFields().stream().map(Schema.Field::name).toList());
    }
}
