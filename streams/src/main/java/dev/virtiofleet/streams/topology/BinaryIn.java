package dev.virtiofleet.streams.topology;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads what {@link BinaryOut} (and so {@code DataOutputStream}) wrote, straight from the array:
 * no stream, and no lock per read as {@link ByteArrayInputStream} takes.
 */
final class BinaryIn {
    private final byte[] bytes;
    private int position;

    BinaryIn(byte[] bytes) {
        this.bytes = bytes;
    }

    private void need(int count) throws EOFException {
        if (count > bytes.length - position) {
            throw new EOFException("needs " + count + " more byte(s) at " + position + " of " + bytes.length);
        }
    }

    byte readByte() throws IOException {
        need(1);
        return bytes[position++];
    }

    boolean readBoolean() throws IOException {
        return readByte() != 0;
    }

    int readInt() throws IOException {
        need(4);
        int value = (bytes[position] & 0xFF) << 24 | (bytes[position + 1] & 0xFF) << 16 | (bytes[position + 2] & 0xFF) << 8
                | (bytes[position + 3] & 0xFF);
        position += 4;
        return value;
    }

    long readLong() throws IOException {
        return ((long) readInt() << 32) | (readInt() & 0xFFFFFFFFL);
    }

    long readVarLong() throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte b = readByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("variable-length number longer than 10 bytes at " + position);
    }

    long readZigZag() throws IOException {
        long raw = readVarLong();
        return (raw >>> 1) ^ -(raw & 1);
    }

    int readVarInt() throws IOException {
        long value = readVarLong();
        if (value < 0 || value > Integer.MAX_VALUE) {
            throw new IOException("count " + value + " out of range at " + position);
        }
        return (int) value;
    }

    /** As {@link DataInputStream#readUTF}; plain ASCII is made into a string directly. */
    String readUTF() throws IOException {
        need(2);
        int length = (bytes[position] & 0xFF) << 8 | (bytes[position + 1] & 0xFF);
        need(2 + length);
        int start = position + 2;
        boolean ascii = true;
        for (int i = start; i < start + length; i++) {
            if (bytes[i] <= 0) {
                ascii = false;
                break;
            }
        }
        String value;
        if (ascii) {
            value = new String(bytes, start, length, StandardCharsets.ISO_8859_1);
        } else {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, position, 2 + length))) {
                value = in.readUTF();
            }
        }
        position = start + length;
        return value;
    }

    /** Bytes not read yet. */
    int remaining() {
        return bytes.length - position;
    }
}
