package dev.virtiofleet.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.SchemaFormatter;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Guards the topics' contracts: every schema change must let new readers read old data and old
 * readers read new data, and every version ever written must ship so readers can resolve it.
 */
class SchemaEvolutionTest {

    static Stream<Schema> currentSchemas() {
        return Stream.of(VirtioSample.getClassSchema(), AgentHeartbeat.getClassSchema(),
                VirtioAlert.getClassSchema(), DeviceHealth.getClassSchema());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void currentSchemaIsMutuallyCompatibleWithEveryShippedVersion(Schema current) {
        List<Schema> history = ShippedSchemas.versionsOf(current.getFullName());
        assertFalse(history.isEmpty(), "no shipped version of " + current.getFullName() + " in avro-history/");
        for (int v = 0; v < history.size(); v++) {
            List<String> problems = incompatibilities(history.get(v), current);
            assertTrue(problems.isEmpty(), current.getFullName() + " is incompatible with shipped v" + (v + 1) + ": " + problems);
        }
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void currentSchemaIsShipped(Schema current) {
        List<Schema> history = ShippedSchemas.versionsOf(current.getFullName());
        Schema latest = history.getLast();
        if (SingleObjectWireFormat.fingerprint(latest) != SingleObjectWireFormat.fingerprint(current)) {
            fail(current.getFullName() + " changed since its last shipped version v" + history.size()
                    + ". If the change is compatible (the other test says), add it as v" + (history.size() + 1)
                    + ".avsc under schemas/src/main/resources/avro-history/" + current.getFullName()
                    + "/ and list it in index.txt:\n" + SchemaFormatter.format("json/pretty", current));
        }
    }

    @Test
    void checkCatchesAFieldAddedWithoutDefault() {
        Schema old = VirtioAlert.getClassSchema();
        Schema changed = withExtraField(old, new Schema.Field("ticket", Schema.create(Schema.Type.STRING), "no default", (Object) null));
        List<String> problems = incompatibilities(old, changed);
        assertFalse(problems.isEmpty(), "a new field without default breaks reading old data");
    }

    @Test
    void checkAcceptsAFieldAddedWithDefault() {
        Schema old = VirtioAlert.getClassSchema();
        Schema changed = withExtraField(old, new Schema.Field("ticket", Schema.create(Schema.Type.STRING), "with default", ""));
        assertEquals(List.of(), incompatibilities(old, changed));
    }

    @Test
    void readerResolvesDataOfAnOlderWriterSchema() throws Exception {
        // An "older" sample schema without the errors field, which the current one added with a default.
        Schema current = VirtioSample.getClassSchema();
        Schema older = withoutField(current, "errors");
        VirtioSample sample = TranscriptSamples.sampleOf(
                Transcript.named("qemu-7.2-virtio-blk-backend-hung.txt"), "/machine/peripheral/blk0/virtio-backend", false).sample();
        GenericRecord oldRecord = toGeneric(sample, older);
        ByteBuffer bytes = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(oldRecord);

        List<Schema> readable = new ArrayList<>(ShippedSchemas.all());
        readable.add(older);
        VirtioSample read = new SingleObjectWireFormat(readable).read("virtio.samples", toArray(bytes), VirtioSample.class);
        assertEquals(sample.getQueues(), read.getQueues());
        assertEquals(List.of(), read.getErrors());
    }

    /** Both directions: new reader on old data (backward) and old reader on new data (forward). */
    static List<String> incompatibilities(Schema older, Schema newer) {
        List<String> problems = new ArrayList<>();
        var backward = SchemaCompatibility.checkReaderWriterCompatibility(newer, older);
        if (backward.getType() != SchemaCompatibilityType.COMPATIBLE) {
            problems.add("new readers cannot read old data: " + backward.getResult().getIncompatibilities());
        }
        var forward = SchemaCompatibility.checkReaderWriterCompatibility(older, newer);
        if (forward.getType() != SchemaCompatibilityType.COMPATIBLE) {
            problems.add("old readers cannot read new data: " + forward.getResult().getIncompatibilities());
        }
        return problems;
    }

    private static Schema withExtraField(Schema schema, Schema.Field extra) {
        List<Schema.Field> fields = new ArrayList<>();
        schema.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(extra);
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static Schema withoutField(Schema schema, String name) {
        List<Schema.Field> fields = new ArrayList<>();
        schema.getFields().stream().filter(f -> !f.name().equals(name)).forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }

    private static GenericRecord toGeneric(VirtioSample sample, Schema schema) throws Exception {
        // Through the current schema's binary form, read back with the older schema.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<VirtioSample>(VirtioSample.getClassSchema()).write(sample, encoder);
        encoder.flush();
        var reader = new org.apache.avro.generic.GenericDatumReader<GenericRecord>(VirtioSample.getClassSchema(), schema);
        return reader.read(null, org.apache.avro.io.DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    private static byte[] toArray(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }
}
