package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.serde.SingleObjectWireFormat;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes {@link DeviceHealth} records exactly as {@link SingleObjectWireFormat} does (marker,
 * fingerprint, Avro binary body), field by field in the schema's order. {@code DeviceHealth} has
 * logical types, for which Avro generates no encoder, so its generic writer walked the schema for
 * every record: 4 % of the stream thread's CPU. DeviceHealthSerializerTest compares the bytes with
 * Avro's for varied records; a change of the schema fails it until this follows.
 */
final class DeviceHealthSerializer implements Serializer<DeviceHealth> {
    private static final byte[] HEADER = SingleObjectWireFormat.header(DeviceHealth.getClassSchema());
    /** One buffer per thread, grown to the largest record once; each record is copied out at its size. */
    private static final ThreadLocal<Output> OUTPUT = ThreadLocal.withInitial(Output::new);

    @Override
    public byte[] serialize(String topic, DeviceHealth health) {
        if (health == null) {
            return null;
        }
        try {
            Output out = OUTPUT.get().restart();
            write(out, health);
            return out.toByteArray();
        } catch (RuntimeException e) {
            throw new SerializationException("cannot encode " + DeviceHealth.getClassSchema().getFullName() + " for topic " + topic
                    + ": " + e.getMessage(), e);
        }
    }

    private static void write(Output out, DeviceHealth health) {
        out.string(health.getHostId());
        out.optionalString(health.getVmName());
        out.optionalString(health.getVmUuid());
        out.string(health.getDevicePath());
        out.string(health.getDeviceName());
        if (out.present(health.getDeviceId())) {
            out.number(health.getDeviceId());
        }
        out.optionalString(health.getGroup());
        out.number(health.getState().ordinal());
        out.number(health.getLastSampleTime().toEpochMilli());
        out.string(health.getAgentRunId());
        out.number(health.getAgentSequence());
        out.bool(health.getVmRunning());
        out.bool(health.getDriverOk());
        out.bool(health.getBroken());
        out.strings(health.getStatuses());
        out.strings(health.getHostFeatures());
        out.strings(health.getGuestFeatures());
        List<QueueHealth> queues = health.getQueues();
        out.arrayStart(queues.size());
        for (QueueHealth queue : queues) {
            out.number(queue.getQueueIndex());
            out.number(queue.getRole().ordinal());
            if (out.present(queue.getUsedIdx())) {
                out.number(queue.getUsedIdx());
            }
            if (out.present(queue.getLastAvailIdx())) {
                out.number(queue.getLastAvailIdx());
            }
            if (out.present(queue.getInuse())) {
                out.number(queue.getInuse());
            }
            Instant progress = queue.getLastProgressTime();
            if (out.present(progress)) {
                out.number(progress.toEpochMilli());
            }
        }
        out.arrayEnd();
        List<ActiveAlert> alerts = health.getActiveAlerts();
        out.arrayStart(alerts.size());
        for (ActiveAlert alert : alerts) {
            out.string(alert.getAlertId());
            out.number(alert.getKind().ordinal());
            out.number(alert.getSeverity().ordinal());
            out.number(alert.getSince().toEpochMilli());
        }
        out.arrayEnd();
        out.number(health.getUpdatedAt().toEpochMilli());
    }

    /** Avro's binary encoding of the parts a record is made of, into a growing array after the header. */
    private static final class Output {
        private byte[] buffer = new byte[1024];
        private int size;

        Output restart() {
            System.arraycopy(HEADER, 0, buffer, 0, HEADER.length);
            size = HEADER.length;
            return this;
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buffer, size);
        }

        private void ensure(int more) {
            if (size + more > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
            }
        }

        /** An int or long: zig-zag, then seven bits a byte, low bits first (Avro's int and long encode alike). */
        void number(long value) {
            ensure(10);
            long n = (value << 1) ^ (value >> 63);
            while ((n & ~0x7FL) != 0) {
                buffer[size++] = (byte) ((n & 0x7F) | 0x80);
                n >>>= 7;
            }
            buffer[size++] = (byte) n;
        }

        void bool(boolean value) {
            ensure(1);
            buffer[size++] = (byte) (value ? 1 : 0);
        }

        /** The branch of a ["null", X] union; true when X is to follow. */
        boolean present(Object value) {
            number(value == null ? 0 : 1);
            return value != null;
        }

        void optionalString(String value) {
            if (present(value)) {
                string(value);
            }
        }

        /** Length, then UTF-8; plain ASCII is copied without encoding it first. */
        void string(String value) {
            int length = value.length();
            ensure(10 + length);
            int mark = size;
            number(length);
            for (int i = 0; i < length; i++) {
                char c = value.charAt(i);
                if (c >= 0x80) {
                    size = mark;
                    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
                    number(utf8.length);
                    ensure(utf8.length);
                    System.arraycopy(utf8, 0, buffer, size, utf8.length);
                    size += utf8.length;
                    return;
                }
                buffer[size++] = (byte) c;
            }
        }

        void strings(List<String> values) {
            arrayStart(values.size());
            for (String value : values) {
                string(value);
            }
            arrayEnd();
        }

        /** Avro writes an array as one block: its count (none when empty), the items, then the 0 that ends it. */
        void arrayStart(int count) {
            if (count > 0) {
                number(count);
            }
        }

        void arrayEnd() {
            number(0);
        }
    }
}
