package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One JSON value exactly as the monitor sent it, already checked to be well-formed. Most of a
 * sweep's replies say what they said last time (a device's status, an idle queue); comparing bytes
 * tells so without building a tree, so the tree is built only by whoever asks for it.
 */
public final class RawJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final byte[] bytes;
    private final int from;
    private final int to;

    private RawJson(byte[] bytes, int from, int to) {
        this.bytes = bytes;
        this.from = from;
        this.to = to;
    }

    /** The well-formed value at {@code bytes[from, to)}; the array must not change afterwards. */
    static RawJson of(byte[] bytes, int from, int to) {
        if (from < 0 || to > bytes.length || from >= to) {
            throw new IllegalArgumentException("no JSON value at [" + from + ", " + to + ") of " + bytes.length + " bytes");
        }
        return new RawJson(bytes, from, to);
    }

    /** The value as a JSON tree, built on each call. */
    public JsonNode tree() {
        try {
            return JSON.readTree(bytes, from, to - from);
        } catch (IOException e) {
            throw new IllegalStateException("a RawJson holds well-formed JSON: " + this, e);
        }
    }

    static RawJson of(byte[] bytes) {
        return of(bytes, 0, bytes.length);
    }

    /** Something that reads a JSON value from a range of bytes, such as a binder that builds no tree. */
    @FunctionalInterface
    public interface BytesReader<T, E extends Exception> {
        T read(byte[] json, int offset, int length) throws E;
    }

    /** The value as {@code reader} reads it from these bytes. */
    public <T, E extends Exception> T read(BytesReader<T, E> reader) throws E {
        return reader.read(bytes, from, to - from);
    }

    /** The same bytes as {@code other}'s: the same value, written the same way. */
    public boolean sameBytes(RawJson other) {
        return Arrays.equals(bytes, from, to, other.bytes, other.from, other.to);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RawJson raw && sameBytes(raw);
    }

    @Override
    public int hashCode() {
        int hash = 1;
        for (int i = from; i < to; i++) {
            hash = 31 * hash + bytes[i];
        }
        return hash;
    }

    @Override
    public String toString() {
        return new String(bytes, from, to - from, StandardCharsets.UTF_8);
    }
}
