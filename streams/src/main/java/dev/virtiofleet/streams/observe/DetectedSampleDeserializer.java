package dev.virtiofleet.streams.observe;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.serde.ShippedSchemas;
import dev.virtiofleet.serde.SingleObjectWireFormat;
import dev.virtiofleet.serde.TrustedAvroClasses;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads virtio.samples values (Avro single-object encoding of any shipped {@link VirtioSample}
 * schema) as a {@link DetectedSample}: detection's reader schema, which keeps only the fields
 * detection reads, so the others are skipped instead of built.
 *
 * <p>Records of schema v1, the one agents write, are read by {@link SampleV1Reader}; those of any
 * other shipped version (and the current one) by Avro's resolution to DetectedSample, decoding
 * straight from the record's array with Avro's buffered decoder. Avro's {@code
 * BinaryMessageDecoder} (behind {@code FleetSerdes}' readers) wraps the array in a stream and reads
 * it through an unbuffered decoder, one {@code read()} per byte of every number, which made up half
 * of a sample's decode. What this accepts is what that accepts: the single-object marker, then the
 * fingerprint of a shipped VirtioSample schema (or the current one).
 */
public final class DetectedSampleDeserializer implements Deserializer<DetectedSample> {
    static {
        TrustedAvroClasses.install();
    }

    private static final int HEADER_LENGTH = 10;
    private static final Schema READER = DetectedSample.getClassSchema();
    private static final long V1_FINGERPRINT = SingleObjectWireFormat.fingerprint(SampleV1Reader.V1);

    private final Map<Long, SpecificDatumReader<DetectedSample>> readers = new HashMap<>();
    /** The current schema's header: its first two bytes are the single-object marker of every version. */
    private final byte[] header;
    // Kafka Streams shares a source's deserializer between stream threads; a decoder keeps a position.
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();

    /** Reads what every shipped VirtioSample schema, and the current one, wrote. */
    public DetectedSampleDeserializer() {
        SpecificData model = SpecificData.getForSchema(READER);
        for (Schema writer : ShippedSchemas.versionsOf(VirtioSample.getClassSchema().getFullName())) {
            readers.put(SingleObjectWireFormat.fingerprint(writer), new SpecificDatumReader<>(writer, READER, model));
        }
        Schema current = VirtioSample.getClassSchema();
        readers.putIfAbsent(SingleObjectWireFormat.fingerprint(current), new SpecificDatumReader<>(current, READER, model));
        header = SingleObjectWireFormat.header(current);
    }

    @Override
    public DetectedSample deserialize(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < HEADER_LENGTH || bytes[0] != header[0] || bytes[1] != header[1]) {
            throw new SerializationException("record on topic " + topic + " is not Avro single-object encoded; expected VirtioSample");
        }
        long fingerprint = ByteBuffer.wrap(bytes, 2, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        SpecificDatumReader<DetectedSample> reader = readers.get(fingerprint);
        if (reader == null) {
            throw new SerializationException("record on topic " + topic + " was written with schema fingerprint "
                    + String.format("%016x", fingerprint) + ", which is not among the VirtioSample schemas this build ships"
                    + " (newer writer? add its schema to avro-history)");
        }
        try {
            if (fingerprint == V1_FINGERPRINT) {
                return SampleV1Reader.read(bytes, HEADER_LENGTH);
            }
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, HEADER_LENGTH, bytes.length - HEADER_LENGTH, decoders.get());
            decoders.set(decoder);
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("record on topic " + topic + " does not decode as VirtioSample: " + e, e);
        }
    }
}
