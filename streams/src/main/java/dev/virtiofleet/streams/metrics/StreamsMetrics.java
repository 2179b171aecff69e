package dev.virtiofleet.streams.metrics;

import com.sun.net.httpserver.HttpHandler;
import dev.virtiofleet.streams.query.FleetQueries;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The detection application's metrics: kept by the OpenTelemetry SDK, read at each scrape by its
 * Prometheus exporter, served by the REST server on {@code /metrics}.
 */
public final class StreamsMetrics implements AutoCloseable {
    /** Queue series beyond this many unhealthy queues are left out (longest stuck are kept). */
    public static final int DEFAULT_QUEUE_SERIES_LIMIT = 500;

    // Scope labels and target_info would add a label to every series and a series to every scrape for no information here.
    private final PrometheusMetricReader reader = PrometheusMetricReader.builder()
            .setOtelScopeLabelsEnabled(false).setTargetInfoMetricEnabled(false).build();
    private final SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Meter meter = provider.get("dev.virtiofleet.streams");

    /** With the fleet gauges of {@code queries} registered. */
    public StreamsMetrics(FleetQueries queries, int queueSeriesLimit) {
        registry.register(reader);
        FleetMetrics.register(meter, queries, queueSeriesLimit);
    }

    /** Where further instruments of the application register. */
    public Meter meter() {
        return meter;
    }

    /** Serves every series in the Prometheus text format. */
    public HttpHandler handler() {
        return new MetricsHandler(registry);
    }

    @Override
    public void close() {
        provider.close();
    }
}
