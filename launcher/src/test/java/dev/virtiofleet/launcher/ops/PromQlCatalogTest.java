package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.launcher.ops.PromQlCatalog.Expression;
import dev.virtiofleet.launcher.ops.PromQlCatalog.Source;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The catalog finds every expression, and every expression parses and reads only metrics that exist. */
class PromQlCatalogTest {
    private static final Path ROOT = OpsFiles.project();
    private static final PromQlCatalog CATALOG = PromQlCatalog.load(ROOT);

    /**
     * The detection app's metrics as its issue defines them (served on the REST address, /metrics).
     * The agent's come from agent/METRICS.md.
     */
    private static final Set<String> STREAMS_METRICS = Set.of(
            "virtiofleet_alerts_firing", "virtiofleet_devices", "virtiofleet_agents",
            "virtiofleet_unhealthy_queue_inflight", "virtiofleet_unhealthy_queue_since_progress_seconds",
            "virtiofleet_unhealthy_queue_used_idx", "virtiofleet_streams_dropped_records_total",
            "virtiofleet_streams_output_errors_total", "virtiofleet_streams_records_lag_max", "virtiofleet_streams_running");

    @Test
    void findsEveryRuleEveryPanelTargetAndEveryQueryVariable() {
        Map<Source, Long> counts = CATALOG.all().stream().collect(Collectors.groupingBy(Expression::source, Collectors.counting()));
        // Counted independently of the catalog: rule names in the YAML text, "expr" keys in the dashboards.
        Path rules = ROOT.resolve("deploy/prometheus/rules");
        Path dashboards = ROOT.resolve("grafana/dashboards");
        long alerts = occurrences(rules, ".yml", "(?m)^\\s+- alert: ");
        long records = occurrences(rules, ".yml", "(?m)^\\s+- record: ");
        long targets = occurrences(dashboards, ".json", "\"expr\":");
        long variables = occurrences(dashboards, ".json", "\"type\": \"query\"");
        assertEquals(alerts, counts.get(Source.ALERT_RULE));
        assertEquals(records, counts.get(Source.RECORDING_RULE));
        assertEquals(targets, counts.get(Source.PANEL));
        assertEquals(variables, counts.get(Source.VARIABLE));
        assertTrue(counts.getOrDefault(Source.ANNOTATION_QUERY, 0L) > 0, "annotation queries: " + counts);
    }

    private static long occurrences(Path dir, String suffix, String regex) {
        Pattern pattern = Pattern.compile(regex);
        return OpsFiles.list(dir, suffix).stream().mapToLong(file -> pattern.matcher(OpsFiles.read(file)).results().count()).sum();
    }

    @Test
    void substitutesGrafanaVariables() {
        Expression panel = CATALOG.select(e -> e.promql().contains("$__rate_interval") && e.promql().contains("$host")).getFirst();
        String evaluable = panel.evaluable(Map.of("host", "hv-01"));
        assertTrue(evaluable.contains("[1m]") && evaluable.contains("\"hv-01\""), evaluable);
        assertTrue(!panel.evaluable().contains("$"), panel.evaluable());
        Expression variable = CATALOG.of(Source.VARIABLE).getFirst();
        assertTrue(!variable.promql().startsWith("label_values"), variable.toString());
    }

    /** promtool parses every expression (dashboards' with variables substituted) as a recording rule. */
    @Test
    void everyExpressionParses(@TempDir Path dir) throws IOException {
        OpsFiles.assumeTool("promtool", "apt-get install prometheus");
        OpsFiles.Run run = checkAsRules(dir, CATALOG.all());
        run.requireSuccess("promtool check rules over the catalog's " + CATALOG.all().size() + " expressions");
        // And it would say so: one broken expression fails the same check.
        List<Expression> broken = new ArrayList<>(CATALOG.all());
        broken.add(new Expression(Source.PANEL, "test", "broken", "sum by (kind (virtiofleet_alerts_firing)"));
        assertNotEquals(0, checkAsRules(dir, broken).exit());
    }

    private static OpsFiles.Run checkAsRules(Path dir, List<Expression> expressions) throws IOException {
        StringBuilder rules = new StringBuilder("groups:\n  - name: catalog\n    rules:\n");
        int n = 0;
        for (Expression e : expressions) {
            rules.append("      - record: catalog:expression:").append(++n).append('\n')
                    .append("        expr: ").append(OpsFiles.JSON.writeValueAsString(e.evaluable())).append('\n');
        }
        Path file = Files.writeString(dir.resolve("catalog.yml"), rules);
        return OpsFiles.run(dir, 60, "promtool", "check", "rules", file.toString());
    }

    @Test
    void readsOnlyMetricsThatExist() {
        Set<String> known = new TreeSet<>(STREAMS_METRICS);
        Matcher agentMetric = Pattern.compile("(?m)^\\| `(virtiofleet_agent_\\w+)`").matcher(OpsFiles.read(ROOT.resolve("agent/METRICS.md")));
        while (agentMetric.find()) {
            known.add(agentMetric.group(1));
        }
        assertTrue(known.size() > STREAMS_METRICS.size() + 5, "agent/METRICS.md table not found: " + known);
        known.add("up");
        CATALOG.of(Source.RECORDING_RULE).forEach(e -> known.add(e.name()));
        List<String> unknown = new ArrayList<>();
        for (String name : CATALOG.metricNames()) {
            String base = name.replaceFirst("_(bucket|sum|count)$", "");
            if (!known.contains(name) && !known.contains(base)) {
                unknown.add(name);
            }
        }
        assertEquals(List.of(), unknown, "metrics read by rules or dashboards that neither app exports nor a recording rule makes");
    }
}
