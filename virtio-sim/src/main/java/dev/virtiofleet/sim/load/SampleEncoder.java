package dev.virtiofleet.sim.load;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.serde.ReusableAvroOutput;
import dev.virtiofleet.serde.SingleObjectWireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes each device's successive samples as the sample serde does ({@link FleetSerdes}: Avro
 * single-object encoding, byte for byte), re-encoding only what changed since the device's previous
 * sample. An Avro record's encoding is its fields' encodings one after another, so a field whose
 * value is the very same object as in the device's previous sample is written from the bytes it
 * encoded to then, and so is each element of a list field (numbers are simply written). That holds for the direct sweep's
 * samples: it hands out the Avro records of unchanged parts again (a device's status, an idle
 * queue's sample) and never modifies them, and strings and boxed values cannot change. It does
 * not hold for samples someone may have modified, so this is for the direct load's own samples,
 * straight from its sweep. Not thread-safe: one per sending thread.
 */
public final class SampleEncoder {
    private static final Schema SCHEMA = VirtioSample.getClassSchema();
    private static final byte[] HEADER = SingleObjectWireFormat.header(SCHEMA);
    private static final List<Schema.Field> FIELDS = SCHEMA.getFields();
    private static final Set<Schema.Type> NUMBERS = EnumSet.of(Schema.Type.INT, Schema.Type.LONG, Schema.Type.FLOAT,
            Schema.Type.DOUBLE, Schema.Type.BOOLEAN);

    private final FieldWriter writer = new FieldWriter();
    private final ReusableAvroOutput out = new ReusableAvroOutput();
    private BinaryEncoder encoder;

    /** One device's previous sample: its fields' values and their encodings, and its Kafka key. */
    public static final class Device {
        private final Object[] values = new Object[FIELDS.size()];
        private final byte[][] encoded = new byte[FIELDS.size()][];
        private final List<List<Object>> itemValues = new ArrayList<>();
        private final List<List<byte[]>> itemEncodings = new ArrayList<>();
        private String keyHost;
        private String keyVmUuid;
        private String keyVmName;
        private String keyPath;
        private byte[] key;

        public Device() {
            for (int i = 0; i < FIELDS.size(); i++) {
                itemValues.add(new ArrayList<>());
                itemEncodings.add(new ArrayList<>());
            }
        }

        /** The sample's key ({@link DirectKafkaLoad#keyOf}) as UTF-8. */
        public byte[] key(VirtioSample sample) {
            if (key == null || keyHost != sample.getHostId() || keyVmUuid != sample.getVmUuid()
                    || keyVmName != sample.getVmName() || keyPath != sample.getDevicePath()) {
                key = DirectKafkaLoad.keyOf(sample).getBytes(StandardCharsets.UTF_8);
                keyHost = sample.getHostId();
                keyVmUuid = sample.getVmUuid();
                keyVmName = sample.getVmName();
                keyPath = sample.getDevicePath();
            }
            return key;
        }
    }

    /** The sample's record bytes; {@code device} is its device's state, the same one for each of its samples. */
    public byte[] encode(VirtioSample sample, Device device) {
        try {
            encoder = out.restart(HEADER);
            for (Schema.Field field : FIELDS) {
                int i = field.pos();
                Object value = sample.get(i);
                if (NUMBERS.contains(field.schema().getType())) {
                    // Cheaper written than looked up (the sequence, times): no bytes kept.
                    writer.writeValue(field.schema(), value, encoder);
                } else if (field.schema().getType() == Schema.Type.ARRAY) {
                    writeArray(field.schema(), (List<?>) value, device.itemValues.get(i), device.itemEncodings.get(i));
                } else if (device.encoded[i] != null && device.values[i] == value) {
                    encoder.writeFixed(device.encoded[i]);
                } else {
                    device.encoded[i] = written(field.schema(), value);
                    device.values[i] = value;
                }
            }
            encoder.flush();
            return out.bytesFrom(0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the sample of " + sample.getDevicePath(), e);
        }
    }

    // As Avro writes an array: one block of all items, then the end marker.
    private void writeArray(Schema schema, List<?> items, List<Object> lastItems, List<byte[]> lastEncodings)
            throws IOException {
        Schema itemSchema = schema.getElementType();
        encoder.writeArrayStart();
        encoder.setItemCount(items.size());
        for (int k = 0; k < items.size(); k++) {
            encoder.startItem();
            Object item = items.get(k);
            if (k < lastItems.size() && lastItems.get(k) == item) {
                encoder.writeFixed(lastEncodings.get(k));
            } else {
                byte[] bytes = written(itemSchema, item);
                if (k < lastItems.size()) {
                    lastItems.set(k, item);
                    lastEncodings.set(k, bytes);
                } else {
                    lastItems.add(item);
                    lastEncodings.add(bytes);
                }
            }
        }
        encoder.writeArrayEnd();
    }

    /** Writes {@code value} as Avro writes a value of {@code schema}, and returns the bytes that took. */
    private byte[] written(Schema schema, Object value) throws IOException {
        encoder.flush();
        int start = out.size();
        writer.writeValue(schema, value, encoder);
        encoder.flush();
        return out.bytesFrom(start);
    }

    /** The serde's datum writer (same model and encoders), for one value at a time. */
    private static final class FieldWriter extends SpecificDatumWriter<VirtioSample> {
        FieldWriter() {
            super(SCHEMA, SingleObjectWireFormat.writerModel(SCHEMA));
        }

        void writeValue(Schema schema, Object value, Encoder to) throws IOException {
            write(schema, value, to);
        }
    }
}
