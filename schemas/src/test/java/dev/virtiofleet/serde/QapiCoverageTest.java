package dev.virtiofleet.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.testing.QapiSchema;
import dev.virtiofleet.testing.SharedFiles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * Catches drift against the QAPI contract: every member of every struct the five commands return
 * must have an Avro field (QAPI {@code used-idx} -> Avro {@code usedIdx} in the record of the same
 * name), and optional members must be nullable there.
 */
class QapiCoverageTest {
    /** Structs of the virtio commands that samples carry. */
    private static final List<String> SAMPLED_STRUCTS = List.of(
            "VirtioInfo", "VirtioStatus", "VhostStatus", "VirtioDeviceStatus", "VirtioDeviceFeatures",
            "VhostDeviceProtocols", "VirtQueueStatus", "VirtVhostQueueStatus", "VirtioQueueElement",
            "VirtioRingDesc", "VirtioRingAvail", "VirtioRingUsed");

    /** VirtioInfo is not a record of its own: its two members are the sample's device identity. */
    private static final Map<String, String> VIRTIO_INFO_FIELDS = Map.of("path", "devicePath", "name", "deviceName");

    /** Not returned by any of the five commands (it only configures virtio-blk IOThreads). */
    private static final Set<String> NOT_SAMPLED = Set.of("IOThreadVirtQueueMapping", "DummyVirtioForceArrays");

    @Test
    void everyMemberOfEveryReturnedStructHasAnAvroField() {
        QapiSchema qapi = QapiSchema.read(SharedFiles.qapiSchema());
        Map<String, Schema> avro = namedRecords();
        List<String> problems = new ArrayList<>();
        for (String struct : SAMPLED_STRUCTS) {
            QapiSchema.Struct definition = qapi.structs().get(struct);
            assertTrue(definition != null, "virtio.json no longer defines " + struct);
            problems.addAll(unmapped(definition, avro));
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void everyStructInTheSchemaIsEitherSampledOrDeliberatelyNot() {
        Set<String> all = QapiSchema.read(SharedFiles.qapiSchema()).structs().keySet();
        List<String> unaccounted = all.stream()
                .filter(s -> !SAMPLED_STRUCTS.contains(s) && !NOT_SAMPLED.contains(s)).toList();
        assertEquals(List.of(), unaccounted, "new QAPI structs: map them to Avro or list them as not sampled");
    }

    @Test
    void checkReportsAMemberThatQemuAddsAndAvroLacks() {
        QapiSchema.Struct grown = new QapiSchema.Struct("VirtQueueStatus", List.of(
                new QapiSchema.Member("used-idx", false, "uint16"),
                new QapiSchema.Member("ring-reset", false, "bool"),
                new QapiSchema.Member("inuse", true, "uint32")));
        assertEquals(List.of(
                        "VirtQueueStatus.ring-reset has no Avro field ringReset",
                        "VirtQueueStatus.inuse is optional in QAPI but Avro field inuse is not nullable"),
                unmapped(grown, namedRecords()));
    }

    private static List<String> unmapped(QapiSchema.Struct struct, Map<String, Schema> avro) {
        List<String> problems = new ArrayList<>();
        Schema record = struct.name().equals("VirtioInfo") ? VirtioSample.getClassSchema() : avro.get(struct.name());
        if (record == null) {
            return List.of(struct.name() + " has no Avro record of that name");
        }
        for (QapiSchema.Member member : struct.members()) {
            String fieldName = struct.name().equals("VirtioInfo") ? VIRTIO_INFO_FIELDS.get(member.name()) : camelCase(member.name());
            Schema.Field field = fieldName == null ? null : record.getField(fieldName);
            if (field == null) {
                problems.add(struct.name() + "." + member.name() + " has no Avro field " + fieldName);
            } else if (member.optional() && !nullable(field.schema())) {
                problems.add(struct.name() + "." + member.name() + " is optional in QAPI but Avro field " + fieldName + " is not nullable");
            }
        }
        return problems;
    }

    static String camelCase(String qapiName) {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : qapiName.toCharArray()) {
            if (c == '-' || c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    private static boolean nullable(Schema schema) {
        return schema.getType() == Schema.Type.UNION
                && schema.getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.NULL);
    }

    private static Map<String, Schema> namedRecords() {
        Map<String, Schema> records = new HashMap<>();
        for (Schema top : List.of(VirtioSample.getClassSchema(), AgentHeartbeat.getClassSchema(),
                VirtioAlert.getClassSchema(), DeviceHealth.getClassSchema())) {
            collect(top, records);
        }
        return records;
    }

    private static void collect(Schema schema, Map<String, Schema> records) {
        switch (schema.getType()) {
            case RECORD -> {
                if (records.putIfAbsent(schema.getName(), schema) == null) {
                    schema.getFields().forEach(f -> collect(f.schema(), records));
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collect(t, records));
            case ARRAY -> collect(schema.getElementType(), records);
            case MAP -> collect(schema.getValueType(), records);
            default -> { }
        }
    }
}
