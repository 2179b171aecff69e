package dev.virtiofleet.sim.load;

import dev.virtiofleet.serde.ReusableAvroOutput;
import java.io.IOException;
import org.apache.avro.io.BinaryData;
import org.apache.avro.io.BinaryEncoder;

/**
 * Bytes put together from ranges of an earlier encoding and new writes: numbers as Avro's
 * zig-zag varints, values through Avro's encoder. Ranges that follow each other in the earlier
 * encoding are copied in one go, so an unchanged stretch costs one array copy however many
 * fields it holds. Reused from record to record; one owner (thread).
 */
final class SplicedOutput {
    /** Writes one value with Avro's encoder. */
    interface AvroWrite {
        void write(BinaryEncoder encoder) throws IOException;
    }

    private final ReusableAvroOutput out = new ReusableAvroOutput();
    private final byte[] varint = new byte[10];
    private BinaryEncoder encoder;
    private byte[] earlier = new byte[0];
    // The range of the earlier encoding copied but not yet written: [pendingFrom, pendingTo).
    private int pendingFrom;
    private int pendingTo;

    /** Starts the next record with {@code prefix}; {@link #copy} then takes ranges of {@code earlier}. */
    void restart(byte[] prefix, byte[] earlier) {
        encoder = out.restart(prefix);
        this.earlier = earlier;
        pendingFrom = 0;
        pendingTo = 0;
    }

    /** How many bytes the record has so far. */
    int position() {
        return out.size() + pendingTo - pendingFrom;
    }

    /** Appends bytes {@code from} to {@code to} of the earlier encoding. */
    void copy(int from, int to) {
        if (from != pendingTo) {
            flushPending();
            pendingFrom = from;
        }
        pendingTo = to;
    }

    void writeLong(long value) {
        flushPending();
        out.write(varint, 0, BinaryData.encodeLong(value, varint, 0));
    }

    void writeInt(int value) {
        flushPending();
        out.write(varint, 0, BinaryData.encodeInt(value, varint, 0));
    }

    void write(byte[] bytes) {
        flushPending();
        out.write(bytes, 0, bytes.length);
    }

    void writeAvro(AvroWrite write) throws IOException {
        flushPending();
        write.write(encoder);
        encoder.flush();
    }

    /** The record's bytes, a new array. */
    byte[] toByteArray() {
        return bytesFrom(0);
    }

    /** The record's bytes from {@code start} on, a new array. */
    byte[] bytesFrom(int start) {
        flushPending();
        return out.bytesFrom(start);
    }

    private void flushPending() {
        if (pendingTo > pendingFrom) {
            out.write(earlier, pendingFrom, pendingTo - pendingFrom);
        }
        pendingFrom = pendingTo;
    }
}
