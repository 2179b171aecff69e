package dev.virtiofleet.streams.metrics;

import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.query.FleetSummary;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import org.apache.kafka.streams.errors.InvalidStateStoreException;

/**
 * The detection application's gauges, read from this instance's state stores once per collection
 * (each instance reports its own partitions; Prometheus sums them). Cardinality is bounded by
 * design: alert kinds x severities, health states, one agent count; no series per device or queue.
 *
 * <ul>
 *   <li>{@code virtio_fleet_alerts_firing{kind,severity}}
 *   <li>{@code virtio_fleet_devices{state}}
 *   <li>{@code virtio_fleet_agents}
 * </ul>
 *
 * Exposition is left to the exporter the project settles on (the agent formats Prometheus text
 * from the SDK itself); this class needs only an OpenTelemetry {@link Meter}.
 */
public final class FleetMetrics {
    private static final AttributeKey<String> KIND = AttributeKey.stringKey("kind");
    private static final AttributeKey<String> SEVERITY = AttributeKey.stringKey("severity");
    private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");

    private FleetMetrics() {}

    /** Registers the gauges; close the returned callback to unregister them. */
    public static BatchCallback register(Meter meter, FleetQueries queries) {
        ObservableLongMeasurement alerts = meter.gaugeBuilder("virtio_fleet_alerts_firing").ofLongs()
                .setDescription("Alerts firing, by kind and severity").buildObserver();
        ObservableLongMeasurement devices = meter.gaugeBuilder("virtio_fleet_devices").ofLongs()
                .setDescription("Devices tracked, by health state").buildObserver();
        ObservableLongMeasurement agents = meter.gaugeBuilder("virtio_fleet_agents").ofLongs()
                .setDescription("Agents known from their heartbeats").buildObserver();
        return meter.batchCallback(() -> {
            FleetSummary summary;
            try {
                summary = queries.summary();
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
        }, alerts, devices, agents);
    }
}
