package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.agents.SilenceJudge;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.drift.DriftJudge;
import dev.virtiofleet.streams.health.HealthPublisher;
import dev.virtiofleet.streams.observe.DetectedSampleDeserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.Stores;

/**
 * The detection topology. Per-device state lives in RocksDB stores with changelogs; only changes
 * of host features cross to the drift judge (repartitioned by group and model).
 *
 * <pre>
 *   virtio.samples ─▶ device-detector [device-state] ─┬─▶ virtio.alerts
 *                                                     ├─▶ virtio.health (on change or renewal; tombstone when gone)
 *                                                     └─▶ feature reports ─(by group/model)─▶ drift-detector [drift-tally, drift-members] ─▶ virtio.alerts
 *   virtio.heartbeats ─▶ agent-liveness [agent-liveness] ─(wall clock)─▶ virtio.alerts
 * </pre>
 *
 * <p>Samples are read as {@link DetectedSample}, only the fields detection uses, in the
 * single-object encoding (see {@link DetectedSampleDeserializer}; a registry-backed wire format in
 * {@code serdes} would need a reader of its own there), and health records are written in it by
 * {@link DeviceHealthSerializer}; the other topics go through {@code serdes}.
 * Poison samples (undecodable, another schema, impossible values) go to virtio.samples.dlq via
 * Kafka Streams' own dead-letter support; see {@link StreamsSettings}.
 */
public final class DetectionTopology {
    public static final String DEVICE_STORE = "device-state";
    public static final String DRIFT_TALLY_STORE = "drift-tally";
    public static final String DRIFT_MEMBER_STORE = "drift-members";
    public static final String LIVENESS_STORE = "agent-liveness";

    private DetectionTopology() {}

    public static Topology build(DetectionConfig config, Topics topics, FleetSerdes serdes) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DEVICE_STORE), Serdes.String(), DeviceStateSerde.create()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DRIFT_TALLY_STORE), Serdes.String(), StoreSerdes.tally()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(DRIFT_MEMBER_STORE), Serdes.String(), StoreSerdes.member()));
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(LIVENESS_STORE), Serdes.String(), StoreSerdes.liveness()));
        Produced<String, VirtioAlert> toAlerts = Produced.with(Serdes.String(), serdes.alert());

        DeviceMonitor monitor = new DeviceMonitor(config);
        KStream<String, DetectorOutput> detected = builder
                .stream(topics.samples(), Consumed.with(Serdes.String(), detectedSamples()).withName("samples"))
                .process(() -> new DeviceProcessor(monitor, config.deviceGoneAfter(), new HealthPublisher(config.healthRefreshAfter())),
                        Named.as("device-detector"), DEVICE_STORE);

        detected.filter((key, out) -> out instanceof DetectorOutput.Alert, Named.as("device-alerts"))
                .mapValues(out -> ((DetectorOutput.Alert) out).alert())
                .to(topics.alerts(), toAlerts);
        detected.filter((key, out) -> out instanceof DetectorOutput.Health, Named.as("device-health"))
                .mapValues(out -> ((DetectorOutput.Health) out).health().orElse((DeviceHealth) null))
                .to(topics.health(), Produced.with(Serdes.String(), Serdes.serdeFrom(new DeviceHealthSerializer(), serdes.health().deserializer())));

        DriftJudge drift = new DriftJudge(config.rule(AlertKind.FEATURE_DRIFT));
        detected.filter((key, out) -> out instanceof DetectorOutput.Features, Named.as("feature-changes"))
                .mapValues(out -> ((DetectorOutput.Features) out).report())
                .repartition(Repartitioned.with(Serdes.String(), StoreSerdes.featureReport()).withName("feature-reports"))
                .process(() -> new DriftProcessor(drift), Named.as("drift-detector"), DRIFT_TALLY_STORE, DRIFT_MEMBER_STORE)
                .to(topics.alerts(), toAlerts);

        SilenceJudge silence = new SilenceJudge(config.rule(AlertKind.AGENT_SILENT), config.agentSilentPollIntervals());
        builder.stream(topics.heartbeats(), Consumed.with(Serdes.String(), serdes.heartbeat()).withName("heartbeats"))
                .process(() -> new HeartbeatProcessor(silence), Named.as("agent-liveness"), LIVENESS_STORE)
                .to(topics.alerts(), toAlerts);
        return builder.build();
    }

    /** Samples as detection reads them; the application never writes one. */
    private static Serde<DetectedSample> detectedSamples() {
        return Serdes.serdeFrom((topic, sample) -> {
            throw new UnsupportedOperationException("detection reads samples and never writes them");
        }, new DetectedSampleDeserializer());
    }
}
