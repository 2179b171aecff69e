package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.topology.StateCodec.readEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.readIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.readKind;
import static dev.virtiofleet.streams.topology.StateCodec.readObservation;
import static dev.virtiofleet.streams.topology.StateCodec.readRef;
import static dev.virtiofleet.streams.topology.StateCodec.writeEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.writeIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.writeObservation;

import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Pending;
import dev.virtiofleet.streams.detect.PublishedHealth;
import dev.virtiofleet.streams.detect.QueueMark;
import dev.virtiofleet.streams.observe.SampleRef;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.apache.kafka.common.serialization.Serde;

/**
 * Binary form of {@link DeviceState} for the device store and its changelog (see {@link StateCodec}).
 *
 * <p>Version 2 is compact where every device pays: the per-queue marks (one flags byte, the index,
 * used-idx and inuse as variable-length numbers, the last progress as a distance back from the latest
 * sample; the ring layout, a hash, stays 8 bytes), the epoch, agent sequence and queue count as
 * variable-length numbers, the booleans in one flags byte, and the published health mark. Clocks
 * and episodes, which only unhealthy devices have, keep the shared encodings. Version 1 (every
 * number fixed-width, no health mark) is still read, as a device whose health record was not
 * published yet: its next sample publishes one.
 */
final class DeviceStateSerde {
    private static final byte VERSION = 2;
    private static final byte OLDEST_READABLE = 1;

    private static final int VM_RUNNING = 1;
    private static final int DRIVER_OK = 2;
    private static final int HEALTH_PUBLISHED = 4;

    private static final int HAS_LAYOUT = 1;
    private static final int HAS_USED = 2;
    private static final int HAS_INUSE = 4;
    private static final int HAS_PROGRESS = 8;

    private DeviceStateSerde() {}

    static Serde<DeviceState> create() {
        return StateCodec.serde("device state", VERSION, OLDEST_READABLE, DeviceStateSerde::write, DeviceStateSerde::read);
    }

    /**
     * Whether reading {@code state}'s encoding gives back an equal state. It does for every state
     * detection makes from real samples; the codec's few narrowings (times to the millisecond, a
     * negative device type or alert queue number read back as none) are what this looks for.
     */
    static boolean readsBackEqual(DeviceState state) {
        if (state.identity().deviceId().map(id -> id < 0).orElse(false) || !wholeMillis(state.lastSample().eventTime())
                || !state.healthPublished().map(published -> wholeMillis(published.at())).orElse(true)) {
            return false;
        }
        for (QueueMark mark : state.queues().values()) {
            if (!mark.lastProgress().map(DeviceStateSerde::wholeMillis).orElse(true)) {
                return false;
            }
        }
        for (Map.Entry<AlertKey, Pending> entry : state.pending().entrySet()) {
            if (!readsBackEqual(entry.getKey()) || !readsBackEqual(entry.getValue().first())) {
                return false;
            }
        }
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            Episode episode = entry.getValue();
            if (!readsBackEqual(entry.getKey()) || !readsBackEqual(episode.first()) || !readsBackEqual(episode.fired())
                    || !episode.clearing().map(DeviceStateSerde::readsBackEqual).orElse(true)) {
                return false;
            }
        }
        return true;
    }

    private static boolean readsBackEqual(AlertKey key) {
        return key.queue().orElse(0) >= 0;
    }

    private static boolean readsBackEqual(Observation observation) {
        return wholeMillis(observation.ref().eventTime());
    }

    private static boolean wholeMillis(Instant time) {
        return time.getNano() % 1_000_000 == 0;
    }

    private static void write(BinaryOut out, DeviceState state) throws IOException {
        writeIdentity(out, state.identity());
        out.writeVarLong(state.epoch() & 0xFFFFFFFFL);
        long latest = state.lastSample().eventTime().toEpochMilli();
        out.writeLong(latest);
        out.writeUTF(state.lastSample().agentRunId());
        out.writeZigZag(state.lastSample().agentSequence());
        Optional<PublishedHealth> published = state.healthPublished();
        out.writeByte((state.vmRunning() ? VM_RUNNING : 0) | (state.driverOk() ? DRIVER_OK : 0)
                | (published.isPresent() ? HEALTH_PUBLISHED : 0));
        out.writeZigZag(state.numVqs());
        out.writeLong(state.hostFeaturesDigest());
        out.writeVarLong(state.queues().size());
        for (Map.Entry<Integer, QueueMark> queue : state.queues().entrySet()) {
            QueueMark mark = queue.getValue();
            out.writeVarLong(queue.getKey() & 0xFFFFFFFFL);
            out.writeByte((mark.ringLayout().isPresent() ? HAS_LAYOUT : 0) | (mark.usedIdx().isPresent() ? HAS_USED : 0)
                    | (mark.inuse().isPresent() ? HAS_INUSE : 0) | (mark.lastProgress().isPresent() ? HAS_PROGRESS : 0));
            if (mark.ringLayout().isPresent()) {
                out.writeLong(mark.ringLayout().getAsLong());
            }
            if (mark.usedIdx().isPresent()) {
                out.writeZigZag(mark.usedIdx().getAsInt());
            }
            if (mark.inuse().isPresent()) {
                out.writeZigZag(mark.inuse().getAsLong());
            }
            if (mark.lastProgress().isPresent()) {
                out.writeZigZag(latest - mark.lastProgress().get().toEpochMilli());
            }
        }
        out.writeVarLong(state.pending().size());
        for (Map.Entry<AlertKey, Pending> entry : state.pending().entrySet()) {
            writeKey(out, entry.getKey());
            Pending pending = entry.getValue();
            out.writeLong(pending.mark());
            writeObservation(out, pending.first());
            out.writeZigZag(pending.heldMillis());
            out.writeZigZag(pending.samples());
        }
        out.writeVarLong(state.episodes().size());
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            writeKey(out, entry.getKey());
            writeEpisode(out, entry.getValue());
        }
        if (published.isPresent()) {
            out.writeLong(published.get().digest());
            out.writeZigZag(latest - published.get().at().toEpochMilli());
        }
    }

    private static DeviceState read(BinaryIn in, byte version) throws IOException {
        return version == 1 ? readVersion1(in) : readVersion2(in);
    }

    private static DeviceState readVersion2(BinaryIn in) throws IOException {
        var identity = readIdentity(in);
        int epoch = (int) in.readVarLong();
        long latest = in.readLong();
        var lastSample = new SampleRef(Instant.ofEpochMilli(latest), in.readUTF(), in.readZigZag());
        int flags = in.readByte();
        long numVqs = in.readZigZag();
        long hostFeaturesDigest = in.readLong();
        int queueCount = in.readVarInt();
        // Built as the immutable map DeviceState keeps, not copied into one: this runs for every sample.
        @SuppressWarnings("unchecked")
        Map.Entry<Integer, QueueMark>[] queues = new Map.Entry[queueCount];
        for (int i = 0; i < queueCount; i++) {
            int index = (int) in.readVarLong();
            int present = in.readByte();
            OptionalLong layout = (present & HAS_LAYOUT) != 0 ? OptionalLong.of(in.readLong()) : OptionalLong.empty();
            OptionalInt used = (present & HAS_USED) != 0 ? OptionalInt.of((int) in.readZigZag()) : OptionalInt.empty();
            OptionalLong inuse = (present & HAS_INUSE) != 0 ? OptionalLong.of(in.readZigZag()) : OptionalLong.empty();
            Optional<Instant> progress = (present & HAS_PROGRESS) != 0
                    ? Optional.of(Instant.ofEpochMilli(latest - in.readZigZag())) : Optional.empty();
            queues[i] = Map.entry(index, new QueueMark(layout, used, inuse, progress));
        }
        Map<AlertKey, Pending> pending = Map.of();
        int pendingCount = in.readVarInt();
        if (pendingCount > 0) {
            pending = new HashMap<>();
            for (int i = pendingCount; i > 0; i--) {
                AlertKey key = readKey(in);
                pending.put(key, new Pending(in.readLong(), readObservation(in), in.readZigZag(), (int) in.readZigZag()));
            }
        }
        Map<AlertKey, Episode> episodes = new HashMap<>();
        for (int i = in.readVarInt(); i > 0; i--) {
            AlertKey key = readKey(in);
            episodes.put(key, readEpisode(in));
        }
        Optional<PublishedHealth> published = (flags & HEALTH_PUBLISHED) != 0
                ? Optional.of(new PublishedHealth(in.readLong(), Instant.ofEpochMilli(latest - in.readZigZag())))
                : Optional.empty();
        return new DeviceState(identity, epoch, lastSample, (flags & VM_RUNNING) != 0, (flags & DRIVER_OK) != 0, numVqs,
                hostFeaturesDigest, Map.ofEntries(queues), pending, episodes, published);
    }

    /** The first release's layout: fixed-width numbers, no published health. */
    private static DeviceState readVersion1(BinaryIn in) throws IOException {
        var identity = readIdentity(in);
        int epoch = in.readInt();
        var lastSample = readRef(in);
        boolean vmRunning = in.readBoolean();
        boolean driverOk = in.readBoolean();
        long numVqs = in.readLong();
        long hostFeaturesDigest = in.readLong();
        Map<Integer, QueueMark> queues = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            int index = in.readInt();
            boolean hasLayout = in.readBoolean();
            long layout = in.readLong();
            int used = in.readInt();
            long inuse = in.readLong();
            long progress = in.readLong();
            queues.put(index, new QueueMark(
                    hasLayout ? OptionalLong.of(layout) : OptionalLong.empty(),
                    used < 0 ? OptionalInt.empty() : OptionalInt.of(used),
                    inuse < 0 ? OptionalLong.empty() : OptionalLong.of(inuse),
                    progress == Long.MIN_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(progress))));
        }
        Map<AlertKey, Pending> pending = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            AlertKey key = readKeyVersion1(in);
            pending.put(key, new Pending(in.readLong(), readObservation(in), in.readLong(), in.readInt()));
        }
        Map<AlertKey, Episode> episodes = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            AlertKey key = readKeyVersion1(in);
            episodes.put(key, readEpisode(in));
        }
        return new DeviceState(identity, epoch, lastSample, vmRunning, driverOk, numVqs, hostFeaturesDigest, queues, pending, episodes,
                Optional.empty());
    }

    private static AlertKey readKeyVersion1(BinaryIn in) throws IOException {
        var kind = readKind(in);
        int queue = in.readInt();
        return queue < 0 ? AlertKey.device(kind) : AlertKey.queue(kind, queue);
    }

    private static void writeKey(BinaryOut out, AlertKey key) throws IOException {
        out.writeUTF(key.kind().name());
        out.writeZigZag(key.queue().orElse(-1));
    }

    private static AlertKey readKey(BinaryIn in) throws IOException {
        var kind = readKind(in);
        int queue = (int) in.readZigZag();
        return queue < 0 ? AlertKey.device(kind) : AlertKey.queue(kind, queue);
    }
}
