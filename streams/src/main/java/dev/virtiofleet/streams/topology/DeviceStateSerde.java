package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.topology.StateCodec.readEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.readIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.readKind;
import static dev.virtiofleet.streams.topology.StateCodec.readObservation;
import static dev.virtiofleet.streams.topology.StateCodec.readRef;
import static dev.virtiofleet.streams.topology.StateCodec.writeEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.writeIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.writeObservation;
import static dev.virtiofleet.streams.topology.StateCodec.writeRef;

import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Pending;
import dev.virtiofleet.streams.detect.PublishedHealth;
import dev.virtiofleet.streams.detect.QueueMark;
import java.io.DataInputStream;
import java.io.DataOutputStream;
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
 * Version 2 appends the published health mark; version 1 (without it) is still read, as a device
 * whose health record was not published yet: its next sample publishes one.
 */
final class DeviceStateSerde {
    private static final byte VERSION = 2;
    private static final byte OLDEST_READABLE = 1;

    private DeviceStateSerde() {}

    static Serde<DeviceState> create() {
        return StateCodec.serde("device state", VERSION, OLDEST_READABLE, DeviceStateSerde::write, DeviceStateSerde::read);
    }

    private static void write(DataOutputStream out, DeviceState state) throws IOException {
        writeIdentity(out, state.identity());
        out.writeInt(state.epoch());
        writeRef(out, state.lastSample());
        out.writeBoolean(state.vmRunning());
        out.writeBoolean(state.driverOk());
        out.writeLong(state.numVqs());
        out.writeLong(state.hostFeaturesDigest());
        out.writeInt(state.queues().size());
        for (Map.Entry<Integer, QueueMark> queue : state.queues().entrySet()) {
            out.writeInt(queue.getKey());
            QueueMark mark = queue.getValue();
            out.writeBoolean(mark.ringLayout().isPresent());
            out.writeLong(mark.ringLayout().orElse(0));
            out.writeInt(mark.usedIdx().orElse(-1));
            out.writeLong(mark.inuse().orElse(-1));
            out.writeLong(mark.lastProgress().map(Instant::toEpochMilli).orElse(Long.MIN_VALUE));
        }
        out.writeInt(state.pending().size());
        for (Map.Entry<AlertKey, Pending> entry : state.pending().entrySet()) {
            writeKey(out, entry.getKey());
            Pending pending = entry.getValue();
            out.writeLong(pending.mark());
            writeObservation(out, pending.first());
            out.writeLong(pending.heldMillis());
            out.writeInt(pending.samples());
        }
        out.writeInt(state.episodes().size());
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            writeKey(out, entry.getKey());
            writeEpisode(out, entry.getValue());
        }
        out.writeBoolean(state.healthPublished().isPresent());
        if (state.healthPublished().isPresent()) {
            out.writeLong(state.healthPublished().get().digest());
            out.writeLong(state.healthPublished().get().at().toEpochMilli());
        }
    }

    private static DeviceState read(DataInputStream in, byte version) throws IOException {
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
            AlertKey key = readKey(in);
            pending.put(key, new Pending(in.readLong(), readObservation(in), in.readLong(), in.readInt()));
        }
        Map<AlertKey, Episode> episodes = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            AlertKey key = readKey(in);
            episodes.put(key, readEpisode(in));
        }
        Optional<PublishedHealth> published = version >= 2 && in.readBoolean()
                ? Optional.of(new PublishedHealth(in.readLong(), Instant.ofEpochMilli(in.readLong())))
                : Optional.empty();
        return new DeviceState(identity, epoch, lastSample, vmRunning, driverOk, numVqs, hostFeaturesDigest, queues, pending, episodes,
                published);
    }

    private static void writeKey(DataOutputStream out, AlertKey key) throws IOException {
        out.writeUTF(key.kind().name());
        out.writeInt(key.queue().orElse(-1));
    }

    private static AlertKey readKey(DataInputStream in) throws IOException {
        var kind = readKind(in);
        int queue = in.readInt();
        return queue < 0 ? AlertKey.device(kind) : AlertKey.queue(kind, queue);
    }
}
