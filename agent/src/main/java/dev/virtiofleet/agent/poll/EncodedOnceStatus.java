package dev.virtiofleet.agent.poll;

import dev.virtiofleet.avro.VirtioStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;

/**
 * A device status as samples carry it, with its Avro encoding made once. An unchanged device's
 * consecutive samples share one status ({@link ReplyMemo}), and writing its three feature sets'
 * symbols again on every sweep was the largest part of encoding a sample; now it is one copy.
 * Frozen like every status a sample carries: nothing sets a field after construction, or the
 * bytes would no longer say what the fields do.
 */
final class EncodedOnceStatus extends VirtioStatus {
    private final byte[] encoded;

    EncodedOnceStatus(VirtioStatus status) {
        for (Schema.Field field : status.getSchema().getFields()) {
            put(field.pos(), status.get(field.pos()));
        }
        this.encoded = encode(status);
    }

    /** Avro's writers call this for a record with generated encoders, as {@link VirtioStatus} has. */
    @Override
    public void customEncode(Encoder out) throws IOException {
        out.writeFixed(encoded);
    }

    private static byte[] encode(VirtioStatus status) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(bytes, null);
        try {
            status.customEncode(encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("encoding to memory cannot fail", e);
        }
        return bytes.toByteArray();
    }
}
