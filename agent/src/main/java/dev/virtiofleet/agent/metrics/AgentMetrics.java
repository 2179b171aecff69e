package dev.virtiofleet.agent.metrics;

import dev.virtiofleet.agent.poll.CommandObserver;
import dev.virtiofleet.agent.publish.PublisherStats;
import dev.virtiofleet.agent.qmp.QmpOutcome;
import dev.virtiofleet.agent.schedule.VmStatus;
import dev.virtiofleet.avro.MonitorState;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.prometheus.PrometheusMetricReader;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The agent's self-metrics, kept by the OpenTelemetry SDK and read by Prometheus scrapes. The
 * names and labels are documented in {@code agent/METRICS.md}. Command metrics are pushed as
 * commands complete ({@link CommandObserver}); VM, publisher and heartbeat figures are read from
 * their owners at scrape time ({@link #watch}).
 */
public final class AgentMetrics implements CommandObserver, AutoCloseable {
    static final String PREFIX = "virtiofleet_agent_";
    private static final AttributeKey<String> COMMAND = AttributeKey.stringKey("command");
    private static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("outcome");
    private static final AttributeKey<String> ERROR_CLASS = AttributeKey.stringKey("error_class");
    private static final AttributeKey<String> STATE = AttributeKey.stringKey("state");
    private static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");
    /** QMP answers in 0.1–10 ms when healthy; the top buckets catch monitors near their deadline. */
    private static final List<Double> LATENCY_BUCKETS = List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
            0.25, 0.5, 1.0, 2.5, 5.0, 10.0);

    /**
     * The publisher's drop reasons, reported at 0 before the first drop so that alert rules on
     * {@code increase(...)} see the series start (SamplePublisher names them).
     */
    private static final List<String> KNOWN_DROP_REASONS = List.of("spool-full", "spool-write-failed", "rejected-by-kafka");

    // Scope labels and target_info would add a series and a label to every query for no information here.
    private final PrometheusMetricReader reader = PrometheusMetricReader.builder()
            .setOtelScopeLabelsEnabled(false).setTargetInfoMetricEnabled(false).build();
    private final SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build();
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final Meter meter = provider.get("dev.virtiofleet.agent");
    private final DoubleHistogram commandDuration = meter.histogramBuilder(PREFIX + "command_duration_seconds")
            .setDescription("Time from sending a QMP command to its outcome, per command.")
            .setUnit("s")
            .setExplicitBucketBoundariesAdvice(LATENCY_BUCKETS)
            .build();
    private final Map<String, CommandAttributes> byCommand = new ConcurrentHashMap<>();
    private final LongCounter commandOutcomes = meter.counterBuilder(PREFIX + "command_outcomes")
            .setDescription("QMP command outcomes: reply, qmp_error (with the QMP error_class), timeout, connection_lost.")
            .build();

    @Override
    public void completed(String command, QmpOutcome outcome, Duration latency) {
        CommandAttributes attributes = byCommand.computeIfAbsent(command, CommandAttributes::of);
        commandDuration.record(latency.toNanos() / 1e9, attributes.command());
        Attributes outcomeAttributes = switch (outcome) {
            case QmpOutcome.Reply reply -> attributes.reply();
            case QmpOutcome.QmpError error -> Attributes.of(COMMAND, command, OUTCOME, "qmp_error", ERROR_CLASS, error.errorClass());
            case QmpOutcome.Timeout timeout -> attributes.timeout();
            case QmpOutcome.ConnectionLost lost -> attributes.connectionLost();
        };
        commandOutcomes.add(1, outcomeAttributes);
    }

    /** A command's attribute sets, made once: thousands of commands a second share the allowlist's eleven names. */
    private record CommandAttributes(Attributes command, Attributes reply, Attributes timeout, Attributes connectionLost) {
        static CommandAttributes of(String command) {
            return new CommandAttributes(Attributes.of(COMMAND, command), Attributes.of(COMMAND, command, OUTCOME, "reply"),
                    Attributes.of(COMMAND, command, OUTCOME, "timeout"), Attributes.of(COMMAND, command, OUTCOME, "connection_lost"));
        }
    }

    /**
     * Reads these figures at every scrape.
     *
     * @param vms               every monitor the scheduler knows
     * @param publisher         the sample publisher's figures
     * @param samplesPolled     samples made by sweeps so far
     * @param heartbeatsFailed  heartbeats that could not be sent so far
     */
    public void watch(Supplier<List<VmStatus>> vms, Supplier<PublisherStats> publisher, LongSupplier samplesPolled,
            LongSupplier heartbeatsFailed) {
        meter.gaugeBuilder(PREFIX + "vms").ofLongs()
                .setDescription("VM monitors known, by monitor state.")
                .buildWithCallback(measurement -> {
                    Map<MonitorState, Long> byState = new EnumMap<>(MonitorState.class);
                    for (MonitorState state : MonitorState.values()) {
                        byState.put(state, 0L);
                    }
                    vms.get().forEach(vm -> byState.merge(vm.state(), 1L, Long::sum));
                    byState.forEach((state, count) -> measurement.record(count, Attributes.of(STATE, state.name().toLowerCase(Locale.ROOT))));
                });
        meter.counterBuilder(PREFIX + "samples_polled")
                .setDescription("Samples made by sweeps (one per device per sweep).")
                .buildWithCallback(measurement -> measurement.record(samplesPolled.getAsLong()));
        meter.counterBuilder(PREFIX + "samples_published")
                .setDescription("Samples the Kafka cluster acknowledged.")
                .buildWithCallback(measurement -> measurement.record(publisher.get().delivered()));
        meter.gaugeBuilder(PREFIX + "buffered_samples").ofLongs()
                .setDescription("Samples held in memory, queued or awaiting acknowledgement.")
                .buildWithCallback(measurement -> measurement.record(publisher.get().buffered()));
        meter.gaugeBuilder(PREFIX + "spooled_samples").ofLongs()
                .setDescription("Samples waiting in the disk spool for the cluster.")
                .buildWithCallback(measurement -> measurement.record(publisher.get().spooled()));
        meter.gaugeBuilder(PREFIX + "spool_bytes").ofLongs()
                .setDescription("Size of the disk spool in bytes.")
                .setUnit("By")
                .buildWithCallback(measurement -> measurement.record(publisher.get().spoolBytes()));
        meter.counterBuilder(PREFIX + "dropped_samples")
                .setDescription("Samples dropped by design, by reason (spool-full, spool-write-failed, rejected-by-kafka).")
                .buildWithCallback(measurement -> {
                    Map<String, Long> dropped = new TreeMap<>();
                    KNOWN_DROP_REASONS.forEach(reason -> dropped.put(reason, 0L));
                    dropped.putAll(publisher.get().dropped());
                    dropped.forEach((reason, count) -> measurement.record(count, Attributes.of(REASON, reason)));
                });
        meter.counterBuilder(PREFIX + "heartbeats_failed")
                .setDescription("Heartbeats that could not be sent (best effort: not spooled).")
                .buildWithCallback(measurement -> measurement.record(heartbeatsFailed.getAsLong()));
    }

    public AgentMetrics() {
        registry.register(reader);
    }

    /** What {@link MetricsServer} serves. */
    public PrometheusRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        provider.close();
    }
}
