package dev.virtiofleet.streams.metrics;

import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.query.FleetSummary;
import dev.virtiofleet.streams.query.UnhealthyQueue;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableDoubleMeasurement;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.util.List;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * The fleet as the detection state sees it, read from this instance's stores once per collection
 * (each instance reports its own partitions; Prometheus sums them). Cardinality is bounded by
 * design: alert kinds x severities, health states, one agent count, and per-queue series only for
 * the queues of unhealthy devices, at most {@code queueSeriesLimit} of them, longest stuck first.
 * Names and labels are listed in {@code streams/METRICS.md}.
 */
public final class FleetMetrics {
    private static final AttributeKey<String> KIND = AttributeKey.stringKey("kind");
    private static final AttributeKey<String> SEVERITY = AttributeKey.stringKey("severity");
    private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
    private static final AttributeKey<String> HOST = AttributeKey.stringKey("host");
    private static final AttributeKey<String> VM = AttributeKey.stringKey("vm");
    private static final AttributeKey<String> DEVICE = AttributeKey.stringKey("device");
    private static final AttributeKey<String> QUEUE = AttributeKey.stringKey("queue");

    private FleetMetrics() {}

    /** Registers the gauges; close the returned callback to unregister them. */
    public static BatchCallback register(Meter meter, FleetQueries queries, int queueSeriesLimit) {
        ObservableLongMeasurement alerts = meter.gaugeBuilder("virtiofleet_alerts_firing").ofLongs()
                .setDescription("Alerts firing, by kind and severity").buildObserver();
        ObservableLongMeasurement devices = meter.gaugeBuilder("virtiofleet_devices").ofLongs()
                .setDescription("Devices tracked, by health state").buildObserver();
        ObservableLongMeasurement agents = meter.gaugeBuilder("virtiofleet_agents").ofLongs()
                .setDescription("Agents known from their heartbeats").buildObserver();
        ObservableLongMeasurement usedIdx = meter.gaugeBuilder("virtiofleet_unhealthy_queue_used_idx").ofLongs()
                .setDescription("Latest used-idx (mod 65536) of each queue of an unhealthy device").buildObserver();
        ObservableLongMeasurement inflight = meter.gaugeBuilder("virtiofleet_unhealthy_queue_inflight").ofLongs()
                .setDescription("Buffers the device holds (inuse), per queue of an unhealthy device").buildObserver();
        ObservableDoubleMeasurement sinceProgress = meter.gaugeBuilder("virtiofleet_unhealthy_queue_since_progress")
                .setDescription("Sample time since used-idx last moved, per queue of an unhealthy device").setUnit("s").buildObserver();
        return meter.batchCallback(() -> {
            FleetSummary summary;
            List<UnhealthyQueue> stuck;
            try {
                summary = queries.summary();
                stuck = queries.unhealthyQueues(queueSeriesLimit);
            } catch (InvalidStateStoreException e) {
                // Rebalancing or restoring: report nothing rather than a partial count that looks like a drop.
                return;
            }
            summary.firingAlerts().forEach((kindAndSeverity, count) -> {
                String[] parts = kindAndSeverity.split("/", 2);
                alerts.record(count, Attributes.of(KIND, parts[0], SEVERITY, parts[1]));
            });
            summary.devicesByState().forEach((state, count) -> devices.record(count, Attributes.of(STATE, state)));
            agents.record(summary.agents());
            for (UnhealthyQueue queue : stuck) {
                Attributes subject = Attributes.of(HOST, queue.hostId(), VM, queue.vm(), DEVICE, queue.devicePath(),
                        QUEUE, Integer.toString(queue.queue()));
                queue.usedIdx().ifPresent(value -> usedIdx.record(value, subject));
                queue.inuse().ifPresent(value -> inflight.record(value, subject));
                queue.sinceProgress().ifPresent(value -> sinceProgress.record(value.toMillis() / 1000.0, subject));
            }
        }, alerts, devices, agents, usedIdx, inflight, sinceProgress);
    }
}
