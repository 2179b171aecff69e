package dev.virtiofleet.streams.observe;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.detection.DetectedDeviceStatus;
import dev.virtiofleet.avro.detection.DetectedElement;
import dev.virtiofleet.avro.detection.DetectedError;
import dev.virtiofleet.avro.detection.DetectedErrorKind;
import dev.virtiofleet.avro.detection.DetectedFeatures;
import dev.virtiofleet.avro.detection.DetectedQueue;
import dev.virtiofleet.avro.detection.DetectedQueueStatus;
import dev.virtiofleet.avro.detection.DetectedRingAvail;
import dev.virtiofleet.avro.detection.DetectedRingUsed;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.avro.detection.DetectedStatus;
import dev.virtiofleet.avro.detection.DetectedVhost;
import dev.virtiofleet.serde.ShippedSchemas;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * Reads the Avro binary body of a sample written with VirtioSample schema v1
 * ({@code avro-history/dev.virtiofleet.avro.VirtioSample/v1.avsc}) as a {@link DetectedSample},
 * walking v1's fields in their order: what detection keeps is decoded, the rest skipped by its
 * length. It gives what Avro's resolution of v1 to DetectedSample gives (DetectedSampleDeserializerTest
 * compares the two on every transcript sample), without Avro's per-field machinery.
 *
 * <p>Feature words (two to four per sample, a dozen symbols each) are recognised by their bytes:
 * a fleet has few distinct ones, so the first sample with a word decodes it and later ones reuse
 * that immutable {@link DetectedFeatures}; the memo starts afresh if it ever holds {@value #LIMIT}
 * words. Malformed bytes end in a runtime exception, which the deserializer reports.
 */
final class SampleV1Reader {
    static final int LIMIT = 4096;
    /** The schema this reader walks. */
    static final Schema V1 = ShippedSchemas.versionsOf(VirtioSample.getClassSchema().getFullName()).getFirst();
    private static final Schema V1_ERROR_KIND = V1.getField("errors").schema().getElementType().getField("kind").schema();
    private static final int NOT_A_VIRTIO_DEVICE = V1_ERROR_KIND.getEnumOrdinal("NOT_A_VIRTIO_DEVICE");
    private static final Map<Span, DetectedFeatures> FEATURE_WORDS = new ConcurrentHashMap<>();

    private final byte[] bytes;
    private int pos;
    private final int end;

    private SampleV1Reader(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.pos = offset;
        this.end = bytes.length;
    }

    /** The sample whose v1 binary body starts at {@code offset} and runs to the end of {@code bytes}. */
    static DetectedSample read(byte[] bytes, int offset) {
        SampleV1Reader in = new SampleV1Reader(bytes, offset);
        DetectedSample sample = in.sample();
        if (in.pos != in.end) {
            throw new IllegalArgumentException((in.end - in.pos) + " bytes after the sample");
        }
        return sample;
    }

    // Records are made with their all-fields constructors from locals read in v1's order: Avro's
    // builders validate and track every field, which cost as much as reading the queue status.
    private DetectedSample sample() {
        String hostId = string();
        String agentRunId = string();
        long agentSequence = longValue();
        Instant eventTime = Instant.ofEpochMilli(longValue());
        longValue(); // pollDurationMicros
        String vmName = present() ? string() : null;
        String vmUuid = present() ? string() : null;
        if (present()) { // qemuVersion: major, minor, micro, packageName
            intValue();
            intValue();
            intValue();
            skipString();
        }
        if (present()) { // vmRunState
            skipString();
        }
        Boolean vmRunning = present() ? bool() : null;
        String devicePath = string();
        String deviceName = string();
        DetectedStatus status = present() ? status() : null;
        List<DetectedQueue> queues = new ArrayList<>();
        for (long n = blockCount(); n != 0; n = blockCount()) {
            for (long i = 0; i < n; i++) {
                queues.add(queue());
            }
        }
        List<DetectedError> errors = new ArrayList<>();
        for (long n = blockCount(); n != 0; n = blockCount()) {
            for (long i = 0; i < n; i++) {
                errors.add(error());
            }
        }
        return new DetectedSample(hostId, agentRunId, agentSequence, eventTime, vmName, vmUuid, vmRunning, devicePath, deviceName,
                status, queues, errors);
    }

    private DetectedStatus status() {
        skipString(); // name
        int deviceId = intValue();
        boolean vhostStarted = bool();
        skipString(); // deviceEndian
        DetectedFeatures guestFeatures = features();
        DetectedFeatures hostFeatures = features();
        skipFeatures(); // backendFeatures
        long numVqs = longValue();
        DetectedDeviceStatus deviceStatus = new DetectedDeviceStatus(strings());
        if (present()) { // unknownStatuses
            intValue();
        }
        skipStrings(); // unparseable
        intValue(); // isr
        intValue(); // queueSel
        boolean vmRunning = bool();
        boolean broken = bool();
        bool(); // disabled
        bool(); // useStarted
        boolean started = bool();
        bool(); // startOnKick
        bool(); // disableLegacyCheck
        skipString(); // busName
        bool(); // useGuestNotifierMask
        DetectedVhost vhost = present() ? vhost() : null;
        return new DetectedStatus(deviceId, vhostStarted, guestFeatures, hostFeatures, numVqs, deviceStatus, vmRunning, broken, started,
                vhost);
    }

    private DetectedVhost vhost() {
        for (int i = 0; i < 4; i++) { // nMemSections, nTmpSections, nvqs, vqIndex
            longValue();
        }
        skipFeatures(); // features
        DetectedFeatures ackedFeatures = features();
        DetectedVhost vhost = new DetectedVhost(ackedFeatures, features());
        skipStrings(); // protocolFeatures: protocols, unknownProtocols, unparseable
        if (present()) {
            longValue();
        }
        skipStrings();
        longValue(); // maxQueues
        longValue(); // backendCap
        bool(); // logEnabled
        longValue(); // logSize
        return vhost;
    }

    private DetectedQueue queue() {
        int queueIndex = intValue();
        DetectedQueueStatus status = present() ? queueStatus() : null;
        if (present()) { // vhostStatus: name and twelve numbers
            skipString();
            for (int i = 0; i < 12; i++) {
                longValue();
            }
        }
        return new DetectedQueue(queueIndex, status, present() ? element() : null);
    }

    private DetectedQueueStatus queueStatus() {
        skipString(); // name
        intValue(); // queueIndex
        long inuse = longValue();
        long vringNum = longValue();
        longValue(); // vringNumDefault
        longValue(); // vringAlign
        long vringDesc = longValue();
        long vringAvail = longValue();
        long vringUsed = longValue();
        Integer lastAvailIdx = present() ? intValue() : null;
        Integer shadowAvailIdx = present() ? intValue() : null;
        int usedIdx = intValue();
        int signalledUsed = intValue();
        return new DetectedQueueStatus(inuse, vringNum, vringDesc, vringAvail, vringUsed, lastAvailIdx, shadowAvailIdx, usedIdx,
                signalledUsed, bool());
    }

    private DetectedElement element() {
        skipString(); // name
        longValue(); // index
        for (long n = blockCount(); n != 0; n = blockCount()) { // descs: addr, len, flags
            for (long i = 0; i < n; i++) {
                longValue();
                longValue();
                skipStrings();
            }
        }
        int availFlags = intValue();
        DetectedRingAvail avail = new DetectedRingAvail(availFlags, intValue());
        intValue(); // avail.ring
        intValue(); // used.flags
        return new DetectedElement(avail, new DetectedRingUsed(intValue()));
    }

    private DetectedError error() {
        skipString(); // command
        if (present()) { // queueIndex
            intValue();
        }
        int kind = intValue();
        if (kind < 0 || kind >= V1_ERROR_KIND.getEnumSymbols().size()) {
            throw new IllegalArgumentException("command error kind " + kind + " is not a v1 symbol");
        }
        if (present()) { // errorClass
            skipString();
        }
        skipString(); // description
        return new DetectedError(kind == NOT_A_VIRTIO_DEVICE ? DetectedErrorKind.NOT_A_VIRTIO_DEVICE : DetectedErrorKind.OTHER);
    }

    /** A feature word (transports, devFeatures, unknownDevFeatures, unparseable), decoded once per distinct bytes. */
    private DetectedFeatures features() {
        int start = pos;
        skipFeatures();
        Span span = new Span(bytes, start, pos);
        DetectedFeatures known = FEATURE_WORDS.get(span);
        if (known != null) {
            return known;
        }
        SampleV1Reader word = new SampleV1Reader(bytes, start);
        List<String> transports = List.copyOf(word.strings());
        List<String> devFeatures = word.present() ? List.copyOf(word.strings()) : null;
        Long unknownDevFeatures = word.present() ? word.longValue() : null;
        DetectedFeatures made = new DetectedFeatures(transports, devFeatures, unknownDevFeatures, List.copyOf(word.strings()));
        if (FEATURE_WORDS.size() >= LIMIT) {
            FEATURE_WORDS.clear();
        }
        FEATURE_WORDS.put(span.copy(), made);
        return made;
    }

    private void skipFeatures() {
        skipStrings();
        if (present()) {
            skipStrings();
        }
        if (present()) {
            longValue();
        }
        skipStrings();
    }

    private List<String> strings() {
        List<String> strings = new ArrayList<>();
        for (long n = blockCount(); n != 0; n = blockCount()) {
            for (long i = 0; i < n; i++) {
                strings.add(string());
            }
        }
        return strings;
    }

    private void skipStrings() {
        for (long n = blockCount(); n != 0; n = blockCount()) {
            for (long i = 0; i < n; i++) {
                skipString();
            }
        }
    }

    /** Items in the next block of an array, 0 at its end; a negative count is followed by the block's size in bytes. */
    private long blockCount() {
        long count = longValue();
        if (count < 0) {
            longValue();
            return -count;
        }
        return count;
    }

    /** The branch of a ["null", X] union: true when X follows. */
    private boolean present() {
        int branch = intValue();
        if (branch != 0 && branch != 1) {
            throw new IllegalArgumentException("union branch " + branch + " of a nullable field");
        }
        return branch == 1;
    }

    private String string() {
        int length = length();
        String value = new String(bytes, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return value;
    }

    private void skipString() {
        int length = length(); // read before pos is: length() moves it past the length itself
        pos += length;
    }

    private int length() {
        long length = longValue();
        if (length < 0 || length > end - pos) {
            throw new IllegalArgumentException("length " + length + " at byte " + pos + " runs past the record");
        }
        return (int) length;
    }

    private boolean bool() {
        if (pos >= end) {
            throw new IllegalArgumentException("the record ends inside a boolean");
        }
        return bytes[pos++] != 0;
    }

    private int intValue() {
        long value = longValue();
        if (value != (int) value) {
            throw new IllegalArgumentException("int out of range: " + value);
        }
        return (int) value;
    }

    /** Avro's zig-zag variable-length long. */
    private long longValue() {
        // Most numbers of a sample (counts, union branches, small indices) are -64..63: one byte.
        if (pos < end && bytes[pos] >= 0) {
            int raw = bytes[pos++];
            return (raw >>> 1) ^ -(raw & 1);
        }
        long raw = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw new IllegalArgumentException("the record ends inside a number");
            }
            byte b = bytes[pos++];
            raw |= (long) (b & 0x7F) << shift;
            if (b >= 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new IllegalArgumentException("a number longer than ten bytes");
    }

    /** Bytes [from, to) of an array, compared by content; a looked-up span refers to the record, a stored one to a copy. */
    private record Span(byte[] bytes, int from, int to) {
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

        Span copy() {
            return new Span(Arrays.copyOfRange(bytes, from, to), 0, to - from);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Span span && Arrays.equals(bytes, from, to, span.bytes, span.from, span.to);
        }

        // Eight bytes a step: a feature word is some hundred bytes, hashed for every word of every sample.
        @Override
        public int hashCode() {
            long hash = to - from;
            int i = from;
            for (; i + Long.BYTES <= to; i += Long.BYTES) {
                hash = (hash ^ (long) LONGS.get(bytes, i)) * 0x9E3779B97F4A7C15L;
            }
            for (; i < to; i++) {
                hash = (hash ^ bytes[i]) * 0x9E3779B97F4A7C15L;
            }
            return (int) (hash ^ (hash >>> 32));
        }
    }
}
