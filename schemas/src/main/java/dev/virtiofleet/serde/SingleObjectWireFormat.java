package dev.virtiofleet.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Avro single-object encoding: a two-byte marker, the writer schema's 64-bit CRC-64-AVRO
 * fingerprint, then the binary record. The reader looks the fingerprint up among the {@link
 * ShippedSchemas} and resolves to its own schema, so no registry is needed and readers can evolve.
 */
public final class SingleObjectWireFormat implements AvroWireFormat {
    static {
        TrustedAvroClasses.install();
    }

    private final SchemaStore.Cache writerSchemas = new SchemaStore.Cache();
    private final Map<Class<?>, BinaryMessageEncoder<SpecificRecordBase>> encoders = new ConcurrentHashMap<>();
    private final Map<Class<?>, BinaryMessageDecoder<? extends SpecificRecordBase>> decoders = new ConcurrentHashMap<>();

    public SingleObjectWireFormat() {
        this(ShippedSchemas.all());
    }

    /** With an explicit set of readable writer schemas (tests of evolution use this). */
    public SingleObjectWireFormat(List<Schema> readableWriterSchemas) {
        readableWriterSchemas.forEach(writerSchemas::addSchema);
    }

    @Override
    public byte[] write(String topic, SpecificRecordBase record) {
        BinaryMessageEncoder<SpecificRecordBase> encoder = encoders.computeIfAbsent(
                record.getClass(), type -> new BinaryMessageEncoder<>(SpecificData.getForSchema(record.getSchema()), record.getSchema()));
        try {
            ByteBuffer buffer = encoder.encode(record);
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "cannot encode " + record.getSchema().getFullName() + " for topic " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public <T extends SpecificRecordBase> T read(String topic, byte[] bytes, Class<T> type) {
        @SuppressWarnings("unchecked")
        BinaryMessageDecoder<T> decoder = (BinaryMessageDecoder<T>) decoders.computeIfAbsent(type, this::decoderFor);
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new SerializationException("record on topic " + topic + " was written with schema fingerprint "
                    + fingerprintOf(bytes) + ", which is not among the schemas this build ships for "
                    + type.getSimpleName() + " (newer writer? add its schema to avro-history)", e);
        } catch (BadHeaderException e) {
            throw new SerializationException("record on topic " + topic + " is not Avro single-object encoded ("
                    + e.getMessage() + "); expected " + type.getSimpleName(), e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("record on topic " + topic + " does not decode as "
                    + type.getSimpleName() + ": " + e, e);
        }
    }

    private BinaryMessageDecoder<? extends SpecificRecordBase> decoderFor(Class<?> type) {
        Schema readerSchema = SpecificData.get().getSchema(type);
        // The current schema is readable too, even before it is added to the shipped history.
        writerSchemas.addSchema(readerSchema);
        return new BinaryMessageDecoder<>(SpecificData.getForSchema(readerSchema), readerSchema, writerSchemas);
    }

    private static String fingerprintOf(byte[] bytes) {
        if (bytes == null || bytes.length < 10) {
            return "(none: " + (bytes == null ? 0 : bytes.length) + " bytes)";
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return String.format("%016x", fingerprint);
    }

    /** The fingerprint single-object encoding puts in front of records of this schema. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }
}
