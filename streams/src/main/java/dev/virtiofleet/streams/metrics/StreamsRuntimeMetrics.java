package dev.virtiofleet.streams.metrics;

import io.opentelemetry.api.metrics.BatchCallback;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * How this detection instance itself is doing: whether it is processing, how far behind its input
 * it is, and what it dropped by design. Lag and dropped records come from Kafka Streams' and the
 * consumer's own metrics, so they mean what the Kafka documentation says they mean.
 */
public final class StreamsRuntimeMetrics {
    private StreamsRuntimeMetrics() {}

    /**
     * @param state the Kafka Streams state now
     * @param kafkaMetrics Kafka Streams' metrics ({@link KafkaStreams#metrics()})
     * @param outputErrors output records that could not be produced, so far
     */
    public static BatchCallback register(Meter meter, Supplier<KafkaStreams.State> state,
            Supplier<Map<MetricName, ? extends Metric>> kafkaMetrics, LongSupplier outputErrors) {
        ObservableLongMeasurement running = meter.gaugeBuilder("virtiofleet_streams_running").ofLongs()
                .setDescription("1 while Kafka Streams is RUNNING (processing), else 0").buildObserver();
        ObservableLongMeasurement lag = meter.gaugeBuilder("virtiofleet_streams_records_lag_max").ofLongs()
                .setDescription("The largest consumer lag, in records, over this instance's input partitions").buildObserver();
        ObservableLongMeasurement dropped = meter.counterBuilder("virtiofleet_streams_dropped_records")
                .setDescription("Input records dropped to the dead-letter topic (undecodable or impossible samples)").buildObserver();
        ObservableLongMeasurement outputs = meter.counterBuilder("virtiofleet_streams_output_errors")
                .setDescription("Alert or health records that could not be produced (logged and counted, not fatal)").buildObserver();
        return meter.batchCallback(() -> {
            running.record(state.get() == KafkaStreams.State.RUNNING ? 1 : 0);
            double maxLag = 0;
            double droppedRecords = 0;
            for (Map.Entry<MetricName, ? extends Metric> entry : kafkaMetrics.get().entrySet()) {
                MetricName name = entry.getKey();
                if (!(entry.getValue().metricValue() instanceof Double value) || value.isNaN() || value.isInfinite()) {
                    continue;
                }
                // The restore consumer's lag is about replaying changelogs, not about samples waiting.
                boolean mainConsumer = !name.tags().getOrDefault("client-id", "").endsWith("restore-consumer");
                if (name.name().equals("records-lag-max") && name.group().equals("consumer-fetch-manager-metrics") && mainConsumer) {
                    maxLag = Math.max(maxLag, value);
                } else if (name.name().equals("dropped-records-total") && name.group().equals("stream-task-metrics")) {
                    droppedRecords += value;
                }
            }
            lag.record((long) maxLag);
            dropped.record((long) droppedRecords);
            outputs.record(outputErrors.getAsLong());
        }, running, lag, dropped, outputs);
    }
}
