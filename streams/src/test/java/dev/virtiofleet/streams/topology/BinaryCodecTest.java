package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BinaryOut writes what DataOutputStream wrote (the stores' and repartition topic's existing bytes); BinaryIn reads both back. */
class BinaryCodecTest {
    private static final List<String> STRINGS = List.of("", "hv-0001.example", "/machine/peripheral/blk0/virtio-backend",
            "caf\u00e9 \u2603", "nul\u0000inside", "x".repeat(70_000 / 7));

    @Test
    void theBytesAreDataOutputStreamsBytes() throws Exception {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        BinaryOut out = new BinaryOut();
        try (DataOutputStream data = new DataOutputStream(expected)) {
            for (long value : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x1234_5678_9ABC_DEF0L}) {
                data.writeLong(value);
                out.writeLong(value);
                data.writeInt((int) value);
                out.writeInt((int) value);
                data.writeBoolean(value > 0);
                out.writeBoolean(value > 0);
                data.writeByte((int) value);
                out.writeByte((int) value);
            }
            for (String text : STRINGS) {
                data.writeUTF(text);
                out.writeUTF(text);
            }
        }
        assertArrayEquals(expected.toByteArray(), out.toByteArray());

        BinaryIn in = new BinaryIn(expected.toByteArray());
        for (long value : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x1234_5678_9ABC_DEF0L}) {
            assertEquals(value, in.readLong());
            assertEquals((int) value, in.readInt());
            assertEquals(value > 0, in.readBoolean());
            assertEquals((byte) value, in.readByte());
        }
        for (String text : STRINGS) {
            assertEquals(text, in.readUTF());
        }
        assertEquals(0, in.remaining());
    }

    @Test
    void variableLengthNumbersRoundTripAndSmallOnesAreShort() throws Exception {
        long[] values = {0, 1, 127, 128, 6209, 65_535, -1, -64, Long.MIN_VALUE, Long.MAX_VALUE, 1_764_064_800_000L};
        BinaryOut out = new BinaryOut();
        for (long value : values) {
            out.writeZigZag(value);
        }
        out.writeVarLong(127);
        BinaryIn in = new BinaryIn(out.toByteArray());
        for (long value : values) {
            assertEquals(value, in.readZigZag());
        }
        assertEquals(127, in.readVarLong());
        assertEquals(0, new BinaryOut().reset().size(), "an empty buffer");
        BinaryOut small = new BinaryOut();
        small.writeZigZag(-1);
        small.writeVarLong(127);
        assertEquals(2, small.size(), "-1 and 127 take a byte each");
    }

    @Test
    void readingPastTheEndIsAnError() {
        assertThrows(EOFException.class, () -> new BinaryIn(new byte[] {0, 0, 0}).readInt());
        assertThrows(EOFException.class, () -> new BinaryIn(new byte[] {0, 5, 'a'}).readUTF());
        assertThrows(EOFException.class, () -> new BinaryIn(new byte[] {(byte) 0x80}).readVarLong());
    }
}
