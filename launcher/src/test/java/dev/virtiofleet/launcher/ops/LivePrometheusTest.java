package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.launcher.demo.Demo;
import dev.virtiofleet.launcher.ops.PromQlCatalog.Expression;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The rules and dashboards against a real Prometheus scraping a running pipeline: {@code demo
 * --prometheus} in-process ({@link Demo}, so {@code LocalPrometheus} with the repository's rule
 * files) on a scenario whose faults stay active ({@code ops/live-prometheus.yaml}). Once
 * Prometheus has scraped and evaluated its rules a few times, every expression of
 * {@link PromQlCatalog} (alerting and recording rules, annotation queries, panel targets, template
 * variables) must evaluate without error, and have series unless {@link #NO_SERIES_EXPECTED} says
 * why it cannot in this scenario. Alerts for the injected faults must be pending or firing, none of
 * them for the paused VM.
 *
 * <p>Besides each expression as written, three forms derived from it must have series too, since
 * the written form can hide a metric name that does not exist: the left side of {@code X or
 * vector(0)}, the operand of a trailing comparison with a number ({@code X > 0}: an alert that
 * cannot fire here still reads a metric that exists), and the argument of {@code absent(X)}.
 */
class LivePrometheusTest {
    private static final Path ROOT = OpsFiles.project();
    private static final Path SCENARIO = Path.of("src/test/resources/ops/live-prometheus.yaml");
    /** Startup, faults at 8 s, circuit open after three 5 s command timeouts, the 30 s recording group after that. */
    private static final Duration CONVERGE_WITHIN = Duration.ofSeconds(150);
    private static final Duration POLL = Duration.ofSeconds(5);

    private static final String WITHOUT_OR_VECTOR = " [without 'or vector(0)']";
    private static final String OPERAND = " [operand of the comparison]";
    private static final String INSIDE_ABSENT = " [inside absent()]";

    /**
     * Expressions, by catalog name (plus the suffix of a derived form), that cannot have series in
     * this scenario. The alerts here end in a comparison; their operand (the metric they watch) is
     * still required to have series, except where the metric itself only exists with the problem.
     */
    private static final Map<String, String> NO_SERIES_EXPECTED = Map.ofEntries(
            // A vhost-net device offers other features than the plain virtio-net ones, and the demo judges
            // drift over one fleet-wide group (no detect.group-pattern): a vhost VM would drift as well.
            // virtiofleet_alerts_firing{kind="VHOST_DESYNC"} exists only while one fires.
            Map.entry("VirtioVhostDesync", "no vhost VM in this scenario (see above)"),
            Map.entry("virtio-fleet: feature drift / vhost desyncs / A" + WITHOUT_OR_VECTOR, "no vhost VM in this scenario"),
            // The pipeline itself is healthy: nobody stops an agent, the broker or the detection app.
            Map.entry("VirtioFleetAgentDown", "every agent answers /metrics"),
            Map.entry("VirtioFleetAgentSilent", "every agent heartbeats; kind AGENT_SILENT exists only while one fires"),
            Map.entry("VirtioFleetAgentSilent / summary #1", "no agent is down (its operand up{...} is checked)"),
            Map.entry("VirtioFleetSamplesDropped", "the broker is up: nothing is dropped"),
            Map.entry("VirtioFleetAgentSpooling", "the broker is up: nothing is spooled"),
            Map.entry("VirtioFleetVmsWithoutVirtioQueries", "the simulator speaks QEMU 7.2's QMP: x-query-virtio exists"),
            Map.entry("VirtioFleetStreamsDown", "the detection app answers /metrics"),
            Map.entry("VirtioFleetStreamsAbsent", "the detection app is a scrape target"),
            Map.entry("VirtioFleetStreamsNotRunning", "the detection app is RUNNING"),
            Map.entry("VirtioFleetConsumerLag", "a few hundred samples a second: lag stays far below 10000"),
            Map.entry("VirtioFleetDeadLettersGrowing", "agents send no poison records"),
            Map.entry("VirtioFleetStreamsOutputErrors", "Kafka accepts every alert and health record"));

    /** What the scenario's faults must raise in Prometheus: alert name, its kind label (or none), the states allowed. */
    private record ExpectedAlert(String name, Optional<String> kind, Set<String> states, String why) {
        boolean matches(JsonNode alert) {
            return alert.path("labels").path("alertname").asText().equals(name)
                    && kind.map(k -> alert.path("labels").path("kind").asText().equals(k)).orElse(true)
                    && states.contains(alert.path("state").asText());
        }
    }

    private static final Set<String> ACTIVE = Set.of("pending", "firing");
    private static final Set<String> FIRING = Set.of("firing");
    private static final List<ExpectedAlert> EXPECTED_ALERTS = List.of(
            new ExpectedAlert("VirtioQueueStalled", Optional.of("QUEUE_STALLED"), FIRING, "hv-01/db-1 backend hang"),
            new ExpectedAlert("VirtioDeviceBroken", Optional.of("DEVICE_BROKEN"), FIRING, "hv-02/cache-1 NEEDS_RESET"),
            // for: 30m in the rules: pending for the whole test.
            new ExpectedAlert("VirtioFeatureDrift", Optional.of("FEATURE_DRIFT"), ACTIVE, "hv-01/legacy's virtio-net"),
            new ExpectedAlert("VirtioCompletionNotSignalled", Optional.of("COMPLETION_NOT_SIGNALLED"), FIRING, "hv-02/cns net0 q1"),
            new ExpectedAlert("VirtioFeatureViolation", Optional.of("FEATURE_VIOLATION"), FIRING, "hv-02/violation acks RING_PACKED"),
            new ExpectedAlert("VirtioFeatureViolation", Optional.of("NEGOTIATION_DEGRADED"), FIRING, "hv-02/old without VERSION_1"),
            // for: 10m: pending.
            new ExpectedAlert("VirtioFleetQmpCircuitOpen", Optional.empty(), ACTIVE, "hv-02/hung's monitor"));

    private static final String PAUSED_VM = "db-2";
    private static final String HUNG_QUEUE_VM = "db-1";

    private static final Pattern OR_VECTOR_0 = Pattern.compile("^(.*\\S)\\s+or\\s+vector\\(0\\)\\s*$", Pattern.DOTALL);
    private static final Pattern TRAILING_COMPARISON = Pattern.compile("^(.*?\\S)\\s*(?:==|!=|>=|<=|>|<)\\s*-?[0-9.]+\\s*$", Pattern.DOTALL);
    private static final Pattern ABSENT = Pattern.compile("^\\s*absent\\((.*)\\)\\s*$", Pattern.DOTALL);

    /** One query the test sends: a catalog expression as Grafana or the rule manager would evaluate it, or a form derived from it. */
    private record Probe(String name, String promql) {}

    @Test
    void everyRuleAnnotationPanelAndVariableEvaluatesWithSeriesAndTheFaultsAlert() throws Exception {
        OpsFiles.assumeTool("prometheus", "apt-get install prometheus");
        List<Probe> probes = probes(PromQlCatalog.load(ROOT));
        Set<String> names = probes.stream().map(Probe::name).collect(Collectors.toSet());
        Set<String> stale = new TreeSet<>(NO_SERIES_EXPECTED.keySet());
        stale.removeAll(names);
        assertEquals(Set.of(), stale, "exemptions that name no expression of the catalog (renamed?)");

        long started = System.nanoTime();
        Demo.Options options = new Demo.Options(Optional.of(SCENARIO.toAbsolutePath().toString()), Optional.empty(), Optional.empty(),
                Optional.empty(), false, Duration.ofSeconds(1), Duration.ofSeconds(4), false, true);
        try (Demo demo = Demo.start(options, System.out)) {
            Prometheus prometheus = new Prometheus(demo.prometheusUrl().orElseThrow());
            Pass pass = awaitConvergence(prometheus, probes);
            System.out.println("live Prometheus: " + pass.series().size() + " queries, converged after "
                    + Duration.ofNanos(System.nanoTime() - started).toSeconds() + " s");
            pass.series().forEach((name, count) -> System.out.println("  " + count + " series  " + name));

            assertEquals(List.of(), pass.unsettled(), "Prometheus has not scraped and evaluated enough yet");
            assertEquals(List.of(), pass.missing().stream().map(p -> p.name() + ": " + p.promql()).toList(),
                    "expressions without series while the faults are active");
            assertEquals(List.of(), pass.missingAlerts(), "alerts the injected faults must raise");
            assertAlertsSpareThePausedVm(prometheus);
        }
        List<ProcessHandle> left = ProcessHandle.current().children()
                .filter(p -> p.info().command().map(c -> c.endsWith("prometheus")).orElse(false)).toList();
        assertEquals(List.of(), left, "the demo stopped its Prometheus");
    }

    /** Every expression, and the derived forms of the class comment, with Grafana's variables as .* and fixed windows. */
    private static List<Probe> probes(PromQlCatalog catalog) {
        Map<String, Probe> probes = new LinkedHashMap<>();
        for (Expression e : catalog.all()) {
            String promql = e.evaluable();
            add(probes, new Probe(e.name(), promql));
            derived(OR_VECTOR_0, promql).ifPresent(left -> add(probes, new Probe(e.name() + WITHOUT_OR_VECTOR, left)));
            derived(TRAILING_COMPARISON, promql).ifPresent(operand -> add(probes, new Probe(e.name() + OPERAND, operand)));
            derived(ABSENT, promql).ifPresent(inner -> add(probes, new Probe(e.name() + INSIDE_ABSENT, inner)));
        }
        return List.copyOf(probes.values());
    }

    /** Dashboards repeat targets (a panel's A and B may be one query): one probe per name and query. */
    private static void add(Map<String, Probe> probes, Probe probe) {
        probes.putIfAbsent(probe.name() + "\n" + probe.promql(), probe);
    }

    private static Optional<String> derived(Pattern form, String promql) {
        Matcher m = form.matcher(promql);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** One round of queries: series per probe, the probes still without series, the expected alerts still absent. */
    private record Pass(Map<String, Integer> series, List<Probe> missing, List<String> missingAlerts, List<String> unsettled) {
        boolean done() {
            return missing.isEmpty() && missingAlerts.isEmpty() && unsettled.isEmpty();
        }
    }

    /**
     * Polls until every probe has its series, the expected alerts are there and Prometheus has
     * scraped every target and evaluated the recording rules a few times; a query error fails at once.
     */
    private static Pass awaitConvergence(Prometheus prometheus, List<Probe> probes) throws Exception {
        long start = System.nanoTime();
        long giveUp = start + CONVERGE_WITHIN.toNanos();
        Pass pass;
        do {
            pass = pass(prometheus, probes);
            if (pass.done()) {
                return pass;
            }
            System.out.println("live Prometheus, waiting (" + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s): "
                    + pass.missing().size() + " expressions without series " + pass.missing().stream().map(Probe::name).limit(3).toList()
                    + ", " + pass.missingAlerts().size() + " expected alerts absent, " + pass.unsettled());
            Thread.sleep(POLL);
        } while (System.nanoTime() < giveUp);
        return pass;
    }

    private static Pass pass(Prometheus prometheus, List<Probe> probes) throws Exception {
        Map<String, Integer> series = new LinkedHashMap<>();
        List<Probe> missing = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Probe probe : probes) {
            JsonNode answer = prometheus.query(probe.promql());
            if (!answer.path("status").asText().equals("success")) {
                errors.add(probe.name() + ": " + answer.path("errorType").asText() + ": " + answer.path("error").asText() + "\n    " + probe.promql());
                continue;
            }
            int count = answer.path("data").path("result").size();
            series.put(probe.name(), count);
            if (count == 0 && !NO_SERIES_EXPECTED.containsKey(probe.name())) {
                missing.add(probe);
            }
        }
        if (!errors.isEmpty()) {
            fail("PromQL that Prometheus refused:\n" + String.join("\n", errors));
        }
        JsonNode alerts = prometheus.get("/api/v1/alerts").path("data").path("alerts");
        List<String> missingAlerts = new ArrayList<>();
        for (ExpectedAlert expected : EXPECTED_ALERTS) {
            boolean present = false;
            for (JsonNode alert : alerts) {
                present |= expected.matches(alert);
            }
            if (!present) {
                missingAlerts.add(expected + " not in " + alerts);
            }
        }
        List<String> unsettled = new ArrayList<>();
        // Three scrapes of every target and three evaluations of the alerting rules with the stall active; the
        // recording group (its own 30 s interval) has run once since the faults if the dashboards' series are there.
        requireAtLeast(prometheus, "min(count_over_time(up[10m]))", 3, "scrapes of every target", unsettled);
        requireAtLeast(prometheus, "max(count_over_time(ALERTS{alertname=\"VirtioQueueStalled\"}[10m]))", 3,
                "alerting rule evaluations with the stall active", unsettled);
        requireAtLeast(prometheus, "min(count_over_time(virtiofleet:devices:sum[10m]))", 1, "recording rule evaluations", unsettled);
        return new Pass(series, missing, missingAlerts, unsettled);
    }

    private static void requireAtLeast(Prometheus prometheus, String promql, double least, String what, List<String> unsettled)
            throws Exception {
        JsonNode result = prometheus.query(promql).path("data").path("result");
        double value = result.isEmpty() ? 0 : result.get(0).path("value").get(1).asDouble();
        if (value < least) {
            unsettled.add(what + ": " + value + " < " + least);
        }
    }

    /**
     * The paused VM raised nothing: exactly one stalled queue (the hung backend's, named in the
     * annotation), no alert that names the paused VM, and no unhealthy-queue series of it, while the
     * detection app does count its devices as paused.
     */
    private static void assertAlertsSpareThePausedVm(Prometheus prometheus) throws Exception {
        JsonNode alerts = prometheus.get("/api/v1/alerts").path("data").path("alerts");
        for (JsonNode alert : alerts) {
            assertFalse(alert.toString().contains("VM " + PAUSED_VM) || alert.toString().contains("\"vm\":\"" + PAUSED_VM + "\""),
                    "an alert names the paused VM: " + alert);
            if (alert.path("labels").path("alertname").asText().equals("VirtioQueueStalled")) {
                assertEquals(1.0, alert.path("value").asDouble(), "one stalled queue, the hung backend's: " + alert);
                assertTrue(alert.path("annotations").path("summary").asText().contains("VM " + HUNG_QUEUE_VM), alert.toString());
            }
        }
        assertEquals(0, prometheus.query("{__name__=~\"virtiofleet_unhealthy_queue_.*\", vm=\"" + PAUSED_VM + "\"}")
                .path("data").path("result").size(), "the paused VM's queues are not unhealthy");
        JsonNode paused = prometheus.query("sum(virtiofleet_devices{state=\"PAUSED\"}) > 0").path("data").path("result");
        assertEquals(1, paused.size(), "the detection app sees the paused VM's devices as PAUSED");
    }

    /** Prometheus' HTTP API. */
    private record Prometheus(URI url) {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        JsonNode query(String promql) throws IOException, InterruptedException {
            return get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        }

        /** The JSON body, also of a 400 or 422: Prometheus explains a bad query there. */
        JsonNode get(String pathAndQuery) throws IOException, InterruptedException {
            HttpRequest request = HttpRequest.newBuilder(url.resolve(pathAndQuery)).timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return OpsFiles.JSON.readTree(response.body());
        }
    }
}
