package dev.virtiofleet.streams.topology;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;

/**
 * Writes what {@link DataOutputStream} writes, byte for byte (big-endian numbers, modified UTF-8
 * with a two-byte length), into a reusable array, plus variable-length numbers for the compact
 * parts of a record. Not thread-safe: {@link StateCodec} keeps one per thread.
 */
final class BinaryOut {
    private byte[] buffer = new byte[512];
    private int size;

    BinaryOut reset() {
        size = 0;
        return this;
    }

    byte[] toByteArray() {
        return Arrays.copyOf(buffer, size);
    }

    int size() {
        return size;
    }

    private void ensure(int more) {
        if (size + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
        }
    }

    void writeByte(int value) {
        ensure(1);
        buffer[size++] = (byte) value;
    }

    void writeBoolean(boolean value) {
        writeByte(value ? 1 : 0);
    }

    void writeInt(int value) {
        ensure(4);
        buffer[size++] = (byte) (value >>> 24);
        buffer[size++] = (byte) (value >>> 16);
        buffer[size++] = (byte) (value >>> 8);
        buffer[size++] = (byte) value;
    }

    void writeLong(long value) {
        writeInt((int) (value >>> 32));
        writeInt((int) value);
    }

    /** An unsigned number in 7-bit groups, low group first (as protobuf and Kafka's varlong): 0-127 take one byte. */
    void writeVarLong(long value) {
        ensure(10);
        while ((value & ~0x7FL) != 0) {
            buffer[size++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        buffer[size++] = (byte) value;
    }

    /** A signed number, zig-zag encoded so that small negatives are short too. */
    void writeZigZag(long value) {
        writeVarLong((value << 1) ^ (value >> 63));
    }

    /** As {@link DataOutputStream#writeUTF}: a plain-ASCII string is copied without a second pass. */
    void writeUTF(String value) throws IOException {
        int length = value.length();
        if (length <= 0xFFFF) {
            ensure(2 + length);
            int start = size;
            buffer[start] = (byte) (length >>> 8);
            buffer[start + 1] = (byte) length;
            int at = start + 2;
            boolean ascii = true;
            for (int i = 0; i < length && ascii; i++) {
                char c = value.charAt(i);
                ascii = c >= 1 && c <= 0x7F;
                buffer[at++] = (byte) c;
            }
            if (ascii) {
                size = at;
                return;
            }
        }
        // Anything else (NUL, non-ASCII, too long: an error) exactly as DataOutputStream does it.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(length + 16);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(value);
        }
        byte[] encoded = bytes.toByteArray();
        ensure(encoded.length);
        System.arraycopy(encoded, 0, buffer, size, encoded.length);
        size += encoded.length;
    }
}
