package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.topology.StateCodec.readEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.readFeatures;
import static dev.virtiofleet.streams.topology.StateCodec.readIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.readRef;
import static dev.virtiofleet.streams.topology.StateCodec.writeEpisode;
import static dev.virtiofleet.streams.topology.StateCodec.writeFeatures;
import static dev.virtiofleet.streams.topology.StateCodec.writeIdentity;
import static dev.virtiofleet.streams.topology.StateCodec.writeRef;

import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.agents.AgentLiveness;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.drift.FeatureReport;
import dev.virtiofleet.streams.drift.Member;
import dev.virtiofleet.streams.drift.Tally;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serde;

/** Serdes of the drift and agent records kept in stores or repartitioned (see {@link StateCodec}). */
final class StoreSerdes {
    private StoreSerdes() {}

    static Serde<FeatureReport> featureReport() {
        return StateCodec.serde("feature report", (byte) 1, (out, report) -> {
            writeIdentity(out, report.device());
            writeRef(out, report.ref());
            writeOptionalFeatures(out, report.hostFeatures());
        }, in -> new FeatureReport(readIdentity(in), readRef(in), readOptionalFeatures(in)));
    }

    static Serde<Member> member() {
        return StateCodec.serde("drift member", (byte) 1, (out, member) -> {
            writeIdentity(out, member.device());
            out.writeUTF(member.signature());
            writeFeatures(out, member.hostFeatures());
            writeOptionalEpisode(out, member.drift());
        }, in -> new Member(readIdentity(in), in.readUTF(), readFeatures(in), readOptionalEpisode(in)));
    }

    static Serde<Tally> tally() {
        return StateCodec.serde("drift tally", (byte) 1, (out, tally) -> {
            out.writeInt(tally.counts().size());
            for (Map.Entry<String, Integer> entry : tally.counts().entrySet()) {
                out.writeUTF(entry.getKey());
                out.writeInt(entry.getValue());
                writeFeatures(out, tally.sets().get(entry.getKey()));
            }
        }, in -> {
            Map<String, Integer> counts = new HashMap<>();
            Map<String, FeatureSet> sets = new HashMap<>();
            for (int i = in.readInt(); i > 0; i--) {
                String signature = in.readUTF();
                counts.put(signature, in.readInt());
                sets.put(signature, readFeatures(in));
            }
            return new Tally(counts, sets);
        });
    }

    static Serde<AgentLiveness> liveness() {
        return StateCodec.serde("agent liveness", (byte) 1, (out, agent) -> {
            out.writeUTF(agent.hostId());
            out.writeUTF(agent.agentRunId());
            out.writeLong(agent.lastSampleSequence());
            out.writeLong(agent.heartbeatTime().toEpochMilli());
            out.writeLong(agent.receivedAt().toEpochMilli());
            out.writeLong(agent.pollIntervalMs());
            writeOptionalEpisode(out, agent.silence());
        }, in -> new AgentLiveness(in.readUTF(), in.readUTF(), in.readLong(), Instant.ofEpochMilli(in.readLong()),
                Instant.ofEpochMilli(in.readLong()), in.readLong(), readOptionalEpisode(in)));
    }

    private static void writeOptionalFeatures(BinaryOut out, Optional<FeatureSet> features) throws IOException {
        out.writeBoolean(features.isPresent());
        if (features.isPresent()) {
            writeFeatures(out, features.get());
        }
    }

    private static Optional<FeatureSet> readOptionalFeatures(BinaryIn in) throws IOException {
        return in.readBoolean() ? Optional.of(readFeatures(in)) : Optional.empty();
    }

    private static void writeOptionalEpisode(BinaryOut out, Optional<Episode> episode) throws IOException {
        out.writeBoolean(episode.isPresent());
        if (episode.isPresent()) {
            writeEpisode(out, episode.get());
        }
    }

    private static Optional<Episode> readOptionalEpisode(BinaryIn in) throws IOException {
        return in.readBoolean() ? Optional.of(readEpisode(in)) : Optional.empty();
    }
}
