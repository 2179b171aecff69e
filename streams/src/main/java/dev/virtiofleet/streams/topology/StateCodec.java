package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.observe.SampleRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary encoding of the records kept in state stores and passed between sub-topologies. Written by
 * hand rather than by reflection: compact (the state of 60,000 queues is stored and replicated),
 * no null ambiguity, and a leading version byte per value lets a later release read what this one
 * wrote.
 */
final class StateCodec {
    /** One encoding buffer per stream thread; each value is copied out of it at its exact size. */
    private static final ThreadLocal<BinaryOut> BUFFER = ThreadLocal.withInitial(BinaryOut::new);

    private StateCodec() {}

    interface Writer<T> {
        void write(BinaryOut out, T value) throws IOException;
    }

    interface Reader<T> {
        T read(BinaryIn in) throws IOException;
    }

    /** Reads a value written in {@code version}, one of the versions this release reads. */
    interface VersionedReader<T> {
        T read(BinaryIn in, byte version) throws IOException;
    }

    /** A serde of one versioned record type; {@code null} stays {@code null} (tombstones). */
    static <T> Serde<T> serde(String what, byte version, Writer<T> writer, Reader<T> reader) {
        return serde(what, version, version, writer, (in, found) -> reader.read(in));
    }

    /**
     * A serde that writes {@code version} and reads every version from {@code oldest} to
     * {@code version}: what an earlier release left in a store or changelog stays readable.
     */
    static <T> Serde<T> serde(String what, byte version, byte oldest, Writer<T> writer, VersionedReader<T> reader) {
        Serializer<T> serializer = (topic, value) -> {
            if (value == null) {
                return null;
            }
            BinaryOut out = BUFFER.get().reset();
            try {
                out.writeByte(version);
                writer.write(out, value);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        };
        Deserializer<T> deserializer = (topic, bytes) -> {
            if (bytes == null) {
                return null;
            }
            try {
                BinaryIn in = new BinaryIn(bytes);
                byte found = in.readByte();
                if (found < oldest || found > version) {
                    throw new SerializationException(what + " version " + found + " is not readable (this release reads "
                            + (oldest == version ? Byte.toString(version) : oldest + " to " + version) + ")");
                }
                return reader.read(in, found);
            } catch (IOException | IllegalArgumentException e) {
                throw new SerializationException(what + " does not decode: " + e.getMessage(), e);
            }
        };
        return org.apache.kafka.common.serialization.Serdes.serdeFrom(serializer, deserializer);
    }

    static void writeIdentity(BinaryOut out, DeviceIdentity identity) throws IOException {
        out.writeUTF(identity.key().hostId());
        out.writeUTF(identity.key().vm());
        out.writeUTF(identity.key().devicePath());
        writeOptionalString(out, identity.vmName());
        writeOptionalString(out, identity.vmUuid());
        out.writeUTF(identity.deviceName());
        out.writeInt(identity.deviceId().orElse(-1));
        writeOptionalString(out, identity.group());
    }

    static DeviceIdentity readIdentity(BinaryIn in) throws IOException {
        DeviceKey key = new DeviceKey(in.readUTF(), in.readUTF(), in.readUTF());
        Optional<String> vmName = readOptionalString(in);
        Optional<String> vmUuid = readOptionalString(in);
        String deviceName = in.readUTF();
        int deviceId = in.readInt();
        Optional<String> group = readOptionalString(in);
        return new DeviceIdentity(key, vmName, vmUuid, deviceName, deviceId < 0 ? Optional.empty() : Optional.of(deviceId), group);
    }

    static void writeEpisode(BinaryOut out, Episode episode) throws IOException {
        out.writeUTF(episode.alertId());
        out.writeUTF(episode.severity().name());
        writeObservation(out, episode.first());
        writeObservation(out, episode.fired());
        out.writeBoolean(episode.clearing().isPresent());
        if (episode.clearing().isPresent()) {
            writeObservation(out, episode.clearing().get());
        }
    }

    static Episode readEpisode(BinaryIn in) throws IOException {
        String alertId = in.readUTF();
        Severity severity = Severity.valueOf(in.readUTF());
        Observation first = readObservation(in);
        Observation fired = readObservation(in);
        Optional<Observation> clearing = in.readBoolean() ? Optional.of(readObservation(in)) : Optional.empty();
        return new Episode(alertId, severity, first, fired, clearing);
    }

    static AlertKind readKind(BinaryIn in) throws IOException {
        return AlertKind.valueOf(in.readUTF());
    }

    static void writeRef(BinaryOut out, SampleRef ref) throws IOException {
        out.writeLong(ref.eventTime().toEpochMilli());
        out.writeUTF(ref.agentRunId());
        out.writeLong(ref.agentSequence());
    }

    static SampleRef readRef(BinaryIn in) throws IOException {
        return new SampleRef(Instant.ofEpochMilli(in.readLong()), in.readUTF(), in.readLong());
    }

    static void writeObservation(BinaryOut out, Observation observation) throws IOException {
        writeRef(out, observation.ref());
        out.writeUTF(observation.text());
        out.writeInt(observation.values().size());
        for (Map.Entry<String, Long> value : observation.values().entrySet()) {
            out.writeUTF(value.getKey());
            out.writeLong(value.getValue());
        }
        out.writeInt(observation.details().size());
        for (Map.Entry<String, String> detail : observation.details().entrySet()) {
            out.writeUTF(detail.getKey());
            out.writeUTF(detail.getValue());
        }
    }

    static Observation readObservation(BinaryIn in) throws IOException {
        SampleRef ref = readRef(in);
        String text = in.readUTF();
        Map<String, Long> values = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            values.put(in.readUTF(), in.readLong());
        }
        Map<String, String> details = new HashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            details.put(in.readUTF(), in.readUTF());
        }
        return new Observation(ref, text, values, details);
    }

    static void writeFeatures(BinaryOut out, FeatureSet features) throws IOException {
        out.writeInt(features.symbols().size());
        for (String symbol : features.symbols()) {
            out.writeUTF(symbol);
        }
        out.writeLong(features.unknownBits());
        out.writeInt(features.unparseable().size());
        for (String entry : features.unparseable()) {
            out.writeUTF(entry);
        }
    }

    static FeatureSet readFeatures(BinaryIn in) throws IOException {
        var symbols = new LinkedHashSet<String>();
        for (int i = in.readInt(); i > 0; i--) {
            symbols.add(in.readUTF());
        }
        long unknown = in.readLong();
        List<String> unparseable = new ArrayList<>();
        for (int i = in.readInt(); i > 0; i--) {
            unparseable.add(in.readUTF());
        }
        return new FeatureSet(symbols, unknown, unparseable);
    }

    static void writeOptionalString(BinaryOut out, Optional<String> value) throws IOException {
        out.writeBoolean(value.isPresent());
        if (value.isPresent()) {
            out.writeUTF(value.get());
        }
    }

    static Optional<String> readOptionalString(BinaryIn in) throws IOException {
        return in.readBoolean() ? Optional.of(in.readUTF()) : Optional.empty();
    }
}
