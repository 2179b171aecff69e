package dev.virtiofleet.sim.load;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.serde.SingleObjectWireFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.Encoder;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * Writes each device's successive samples as the sample serde does ({@link FleetSerdes}: Avro
 * single-object encoding, byte for byte), re-encoding only what changed since the device's previous
 * sample. An Avro record's encoding is its fields' encodings one after another, so a field whose
 * value is the very same object as in the device's previous sample is copied from the previous
 * sample's bytes, and so is each element of a list field; numbers are written as Avro writes them
 * (zig-zag varints), so a sample of an idle device is a few array copies around its sequence
 * number and times. A record field's value (a device's status, which the sweep shares among the
 * copies of a VM in a scaled fleet) is kept encoded by identity for all devices, so a fleet's
 * first sweep encodes each distinct status once, not once per device. That holds for the direct sweep's samples: it hands out the Avro records and
 * lists of unchanged parts again (a device's status, an idle queue's sample, an unchanged
 * device's queues) and never modifies them, and strings and boxed values cannot change. It does
 * not hold for samples someone may have modified, so this is for the direct load's own samples,
 * straight from its sweep. Not thread-safe: one per sending thread.
 */
public final class SampleEncoder {
    private static final Schema SCHEMA = VirtioSample.getClassSchema();
    private static final byte[] HEADER = SingleObjectWireFormat.header(SCHEMA);
    private static final List<Schema.Field> FIELDS = SCHEMA.getFields();
    // Which fields are numbers, told once: every sample asks for every field.
    private static final NumberKind[] NUMBERS = FIELDS.stream().map(field -> NumberKind.of(field.schema())).toArray(NumberKind[]::new);

    // Enough for every device status of a fleet of copies; a scenario's faults make a few more.
    private static final int MAX_SHARED_RECORDS = 4096;

    private final FieldWriter writer = new FieldWriter();
    private final SplicedOutput out = new SplicedOutput();
    private final Map<Object, byte[]> sharedRecords = new IdentityHashMap<>();

    /**
     * One device's previous sample: its fields' values, its bytes and where each field (and each
     * element of a list field) starts in them, and its Kafka key.
     */
    public static final class Device {
        private byte[] encoded;
        private final Object[] values = new Object[FIELDS.size()];
        private int[] fieldStarts = new int[FIELDS.size() + 1];
        private int[] nextFieldStarts = new int[FIELDS.size() + 1];
        private final Items[] items = new Items[FIELDS.size()];
        private String keyHost;
        private String keyVmUuid;
        private String keyVmName;
        private String keyPath;
        private byte[] key;

        public Device() {
            for (Schema.Field field : FIELDS) {
                if (field.schema().getType() == Schema.Type.ARRAY) {
                    items[field.pos()] = new Items();
                }
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

        private boolean unchanged(int field, Object value) {
            return encoded != null && values[field] == value;
        }

        private void remember(byte[] bytes) {
            encoded = bytes;
            int[] previous = fieldStarts;
            fieldStarts = nextFieldStarts;
            nextFieldStarts = previous;
        }
    }

    /** A list field's elements in the previous sample, and where each starts, counted from the field's start. */
    private static final class Items {
        private Object[] values = new Object[0];
        private int[] starts = new int[1];
        private Object[] nextValues = new Object[0];
        private int[] nextStarts = new int[1];
        private int count;

        void prepare(int next) {
            if (nextValues.length < next) {
                nextValues = new Object[next];
                nextStarts = new int[next + 1];
            }
        }

        void remember(int next) {
            Object[] previousValues = values;
            int[] previousStarts = starts;
            values = nextValues;
            starts = nextStarts;
            nextValues = previousValues;
            nextStarts = previousStarts;
            count = next;
        }
    }

    /** The sample's record bytes; {@code device} is its device's state, the same one for each of its samples. */
    public byte[] encode(VirtioSample sample, Device device) {
        try {
            out.restart(HEADER, device.encoded);
            for (Schema.Field field : FIELDS) {
                int i = field.pos();
                Object value = sample.get(i);
                device.nextFieldStarts[i] = out.position();
                if (writtenAsNumber(NUMBERS[i], value)) {
                    // Numbers (the sequence, times) change from sample to sample: nothing to keep.
                } else if (device.unchanged(i, value)) {
                    out.copy(device.fieldStarts[i], device.fieldStarts[i + 1]);
                } else {
                    if (field.schema().getType() == Schema.Type.ARRAY) {
                        writeArray(field.schema().getElementType(), (List<?>) value, device.items[i],
                                device.encoded == null ? 0 : device.fieldStarts[i], device.nextFieldStarts[i]);
                    } else if (value instanceof IndexedRecord record) {
                        writeShared(field.schema(), record);
                    } else {
                        write(field.schema(), value);
                    }
                    device.values[i] = value;
                }
            }
            device.nextFieldStarts[FIELDS.size()] = out.position();
            byte[] bytes = out.toByteArray();
            device.remember(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the sample of " + sample.getDevicePath(), e);
        }
    }

    /** How a field's schema has its value written as a number, if it does. */
    private enum NumberKind {
        INT, LONG, TIMESTAMP_MILLIS, NONE;

        static NumberKind of(Schema schema) {
            if (schema.getType() == Schema.Type.INT && schema.getLogicalType() == null) {
                return INT;
            }
            if (schema.getType() == Schema.Type.LONG && schema.getLogicalType() == null) {
                return LONG;
            }
            if (schema.getType() == Schema.Type.LONG && schema.getLogicalType() instanceof LogicalTypes.TimestampMillis) {
                return TIMESTAMP_MILLIS;
            }
            return NONE;
        }
    }

    /**
     * Writes an int or long as Avro does, a zig-zag varint, and a timestamp-millis as Avro's
     * conversion does, its epoch milliseconds; false for any other value, written nothing.
     */
    private boolean writtenAsNumber(NumberKind number, Object value) {
        switch (number) {
            case INT -> {
                if (value instanceof Integer n) {
                    out.writeInt(n);
                    return true;
                }
            }
            case LONG -> {
                if (value instanceof Long n) {
                    out.writeLong(n);
                    return true;
                }
            }
            case TIMESTAMP_MILLIS -> {
                if (value instanceof Instant time) {
                    out.writeLong(time.toEpochMilli());
                    return true;
                }
            }
            case NONE -> {
                return false;
            }
        }
        return false;
    }

    // As Avro writes an array: one block of all items (its count first), then the end marker.
    private void writeArray(Schema itemSchema, List<?> list, Items items, int earlierStart, int start) throws IOException {
        int count = list.size();
        items.prepare(count);
        if (count > 0) {
            out.writeLong(count);
        }
        for (int k = 0; k < count; k++) {
            Object item = list.get(k);
            items.nextStarts[k] = out.position() - start;
            if (k < items.count && items.values[k] == item) {
                out.copy(earlierStart + items.starts[k], earlierStart + items.starts[k + 1]);
            } else {
                write(itemSchema, item);
            }
            items.nextValues[k] = item;
        }
        items.nextStarts[count] = out.position() - start;
        out.writeLong(0);
        items.remember(count);
    }

    private void writeShared(Schema schema, IndexedRecord record) throws IOException {
        byte[] encoded = sharedRecords.get(record);
        if (encoded != null) {
            out.write(encoded);
            return;
        }
        if (sharedRecords.size() >= MAX_SHARED_RECORDS) {
            sharedRecords.clear();
        }
        int start = out.position();
        write(schema, record);
        sharedRecords.put(record, out.bytesFrom(start));
    }

    private void write(Schema schema, Object value) throws IOException {
        out.writeAvro(encoder -> writer.writeValue(schema, value, encoder));
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
