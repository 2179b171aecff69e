package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.Outcome;
import dev.virtiofleet.streams.drift.FeatureReport;
import dev.virtiofleet.streams.health.HealthPublisher;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.InvalidSampleException;
import dev.virtiofleet.streams.observe.SampleRef;
import dev.virtiofleet.streams.observe.SnapshotReader;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link DeviceMonitor} per device over the sample stream, keeps each device's state in a
 * store, and emits alert transitions, health records (when {@link HealthPublisher} says one is due:
 * on a change of content, or to renew an unchanged one) and feature reports. On stream time it
 * retires devices that stopped being sampled: their alerts resolve, their health record is
 * tombstoned, and their group hears they left.
 *
 * <p>To find those devices it keeps the event time of each stored device's latest sample in memory,
 * read from the store when the task starts (Kafka Streams calls {@link #init} once the store is
 * restored, and again whenever the task is revived) and kept with every put and delete; only the
 * devices it names as silent are read from the store, where their own state decides. Reading every
 * device's state at each check had cost, at a 10 s poll and a 15 s check, two thirds of a state
 * read per sample again.
 *
 * <p>The states it wrote last, for up to {@value #WRITTEN_STATES_KEPT} devices, it also keeps decoded
 * ({@link WrittenStates}), so that the next sample of such a device needs neither a store read nor
 * a decode. The store is still written with every sample, so the changelog and what a restore or
 * an interactive query sees are unchanged; the kept states are dropped whenever the task starts or
 * closes, the only times the store can change but through this processor (restoration, revival
 * after a failed transaction, migration).
 */
final class DeviceProcessor implements Processor<String, DetectedSample, String, DetectorOutput> {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceProcessor.class);
    /** Devices whose state a task keeps decoded (see {@link WrittenStates}). */
    static final int WRITTEN_STATES_KEPT = 4096;

    private final DeviceMonitor monitor;
    private final Duration goneAfter;
    private final HealthPublisher health;
    private ProcessorContext<String, DetectorOutput> context;
    private KeyValueStore<String, DeviceState> store;
    /** Event time (epoch ms) of the latest sample of each device in the store. */
    private final Map<String, Long> lastSampleOf = new HashMap<>();
    private final WrittenStates written = new WrittenStates(WRITTEN_STATES_KEPT);

    DeviceProcessor(DeviceMonitor monitor, Duration goneAfter, HealthPublisher health) {
        this.monitor = monitor;
        this.goneAfter = goneAfter;
        this.health = health;
    }

    @Override
    public void init(ProcessorContext<String, DetectorOutput> context) {
        this.context = context;
        this.store = context.getStateStore(DetectionTopology.DEVICE_STORE);
        lastSampleOf.clear();
        written.clear();
        try (KeyValueIterator<String, DeviceState> all = store.all()) {
            all.forEachRemaining(entry -> lastSampleOf.put(entry.key, entry.value.lastSample().eventTime().toEpochMilli()));
        }
        Duration checkEvery = goneAfter.dividedBy(4).isZero() ? goneAfter : goneAfter.dividedBy(4);
        context.schedule(checkEvery, PunctuationType.STREAM_TIME, this::retireSilentDevices);
    }

    @Override
    public void process(Record<String, DetectedSample> record) {
        if (record.value() == null) {
            return;
        }
        DeviceSnapshot snapshot;
        try {
            snapshot = SnapshotReader.read(record.value());
        } catch (InvalidSampleException e) {
            // Thrown on so that Kafka Streams' processing exception handler puts the source record in
            // the dead-letter topic with this reason, like an undecodable one; processing continues.
            throw new PoisonSampleException(record.value(), e);
        }
        String key = snapshot.key().asString();
        Optional<DeviceState> prior = written.get(key).or(() -> Optional.ofNullable(store.get(key)));
        switch (monitor.step(prior, snapshot)) {
            case Outcome.Tracked tracked -> {
                HealthPublisher.Decision published = health.decide(tracked.state(), snapshot);
                put(key, published.state());
                forwardAlerts(tracked.alerts());
                published.publish().ifPresent(healthRecord ->
                        forward(key, new DetectorOutput.Health(Optional.of(healthRecord)), record.timestamp()));
                tracked.featureReport().ifPresent(report -> forwardReport(report, record.timestamp()));
            }
            case Outcome.Gone gone -> {
                delete(key);
                forwardGone(key, gone, record.timestamp());
            }
            case Outcome.Ignored ignored -> LOG.debug("sample for {} ignored: {}", key, ignored.reason());
        }
    }

    private void retireSilentDevices(long streamTime) {
        Instant now = Instant.ofEpochMilli(streamTime);
        long silentSince = streamTime - goneAfter.toMillis();
        List<String> silent = new ArrayList<>();
        lastSampleOf.forEach((key, latest) -> {
            if (latest <= silentSince) {
                silent.add(key);
            }
        });
        // In key order, as a scan of the store would find them.
        silent.sort(null);
        for (String key : silent) {
            DeviceState state = store.get(key);
            if (state == null) {
                lastSampleOf.remove(key);
                continue;
            }
            if (state.lastSample().eventTime().plus(goneAfter).isAfter(now)) {
                lastSampleOf.put(key, state.lastSample().eventTime().toEpochMilli());
                continue;
            }
            SampleRef last = state.lastSample();
            Observation end = new Observation(new SampleRef(now, last.agentRunId(), last.agentSequence()),
                    "no sample since " + last.eventTime() + " (device gone for " + goneAfter + ")", Map.of(), Map.of());
            delete(key);
            forwardGone(key, monitor.retire(state, end), streamTime);
        }
    }

    @Override
    public void close() {
        // init() empties it too; this frees the states while a revived task restores, which can take long.
        written.clear();
    }

    private void put(String key, DeviceState state) {
        // Forgotten first: should the put fail, the store, not a kept state, says what it holds.
        written.forget(key);
        store.put(key, state);
        if (DeviceStateSerde.readsBackEqual(state)) {
            written.wrote(key, state);
        }
        lastSampleOf.put(key, state.lastSample().eventTime().toEpochMilli());
    }

    private void delete(String key) {
        written.forget(key);
        store.delete(key);
        lastSampleOf.remove(key);
    }

    private void forwardGone(String key, Outcome.Gone gone, long timestamp) {
        forwardAlerts(gone.alerts());
        forward(key, new DetectorOutput.Health(Optional.empty()), timestamp);
        gone.departure().ifPresent(report -> forwardReport(report, timestamp));
    }

    private void forwardReport(FeatureReport report, long timestamp) {
        report.groupKey().ifPresent(group -> forward(group, new DetectorOutput.Features(report), timestamp));
    }

    private void forwardAlerts(List<VirtioAlert> alerts) {
        for (VirtioAlert alert : alerts) {
            forward(alert.getAlertId(), new DetectorOutput.Alert(alert), alert.getEventTime().toEpochMilli());
        }
    }

    private void forward(String key, DetectorOutput output, long timestamp) {
        context.forward(new Record<>(key, output, timestamp));
    }
}
