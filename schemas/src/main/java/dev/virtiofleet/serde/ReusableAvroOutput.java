package dev.virtiofleet.serde;

import java.io.OutputStream;
import java.util.Arrays;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * An unsynchronized byte buffer, reused from record to record, with a buffered Avro encoder over
 * it: writing many records this way allocates only each record's final bytes. One owner (thread).
 */
public final class ReusableAvroOutput extends OutputStream {
    private byte[] buffer = new byte[4096];
    private int count;
    private BinaryEncoder encoder;

    /** Empties the buffer and returns the encoder to write the next record with. */
    public BinaryEncoder restart(byte[] prefix) {
        count = 0;
        write(prefix, 0, prefix.length);
        encoder = EncoderFactory.get().binaryEncoder(this, encoder);
        return encoder;
    }

    /** How many bytes were written since the restart; flush the encoder first. */
    public int size() {
        return count;
    }

    /** The bytes from {@code start} to the end; flush the encoder first. */
    public byte[] bytesFrom(int start) {
        return Arrays.copyOfRange(buffer, start, count);
    }

    @Override
    public void write(int b) {
        ensure(1);
        buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        ensure(length);
        System.arraycopy(bytes, offset, buffer, count, length);
        count += length;
    }

    private void ensure(int more) {
        if (count + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, count + more));
        }
    }
}
