package dev.virtiofleet.streams.metrics;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FleetMetricsTest {
    @TempDir
    Path stateDir;

    @Test
    void gaugesCountFiringAlertsAndDevicesByStateFromTheStores() {
        var reader = new PullReader();
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir);
                SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
            driver.pipeAll(repeated(Samples.of(HUNG, BLK, false), 0, 4));
            driver.pipe(Samples.poll(Samples.of(RUNNING, "/machine/peripheral/rng0/virtio-backend", false), 4));
            FleetMetrics.register(provider.get("virtio-fleet-streams"), new FleetQueries(driver.stores()), 0);

            Map<String, Long> points = points(reader.registration.collectAllMetrics());

            assertEquals(Map.of(
                    "virtiofleet_agents{}", 0L,
                    "virtiofleet_alerts_firing{kind=QUEUE_STALLED,severity=CRITICAL}", 1L,
                    "virtiofleet_devices{state=CRITICAL}", 1L,
                    "virtiofleet_devices{state=HEALTHY}", 1L), points, "no queue series when the limit is 0");
        }
    }

    private static Map<String, Long> points(Collection<MetricData> metrics) {
        Map<String, Long> points = new TreeMap<>();
        for (MetricData metric : metrics) {
            for (LongPointData point : metric.getLongGaugeData().getPoints()) {
                StringBuilder labels = new StringBuilder();
                point.getAttributes().forEach((key, value) -> labels.append(labels.isEmpty() ? "" : ",").append(key.getKey()).append('=').append(value));
                points.put(metric.getName() + "{" + labels + "}", point.getValue());
            }
        }
        return points;
    }

    /** Collects on demand, the way a Prometheus scrape does. */
    private static final class PullReader implements MetricReader {
        private CollectionRegistration registration = CollectionRegistration.noop();

        @Override
        public void register(CollectionRegistration registration) {
            this.registration = registration;
        }

        @Override
        public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
            return AggregationTemporality.CUMULATIVE;
        }

        @Override
        public CompletableResultCode forceFlush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }
}
