package dev.virtiofleet.launcher.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every PromQL expression virtio-fleet ships: alerting and recording rules of
 * deploy/prometheus/rules, the literal {@code query "..."} calls in alert annotations, every
 * Grafana panel target and every query variable of grafana/dashboards. A test that has a live
 * Prometheus (e.g. one scraping the demo) evaluates each {@link Expression#evaluable()} there and
 * fails on a query error or an empty result where it expects series:
 *
 * <pre>{@code
 * PromQlCatalog catalog = PromQlCatalog.load(projectDir);
 * for (PromQlCatalog.Expression e : catalog.all()) {
 *     // GET {prometheus}/api/v1/query?query=URLEncode(e.evaluable()) -> status "success", data.result
 * }
 * }</pre>
 *
 * Dashboard expressions hold Grafana variables ({@code $host}, {@code $__rate_interval});
 * {@link Expression#evaluable(Map)} substitutes them, by default every template variable with
 * {@code .*} (the dashboards only use them in {@code =~} matchers) and the interval variables with
 * fixed windows.
 */
public final class PromQlCatalog {
    /** Where an expression comes from. */
    public enum Source {
        ALERT_RULE, RECORDING_RULE, ANNOTATION_QUERY, PANEL, VARIABLE
    }

    /** Grafana's built-in interval variables, with windows that suit a 15 s scrape interval. */
    public static final Map<String, String> DEFAULT_BUILTINS = Map.of(
            "__rate_interval", "1m", "__interval", "30s", "__range", "1h");

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::\\w+)?}|\\$(\\w+)|\\[\\[(\\w+)]]");
    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*(\\w+)\\s*\\)\\s*$", Pattern.DOTALL);
    private static final Pattern ANNOTATION_QUERY = Pattern.compile("\\bquery \"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern METRIC = Pattern.compile("(?<![\\w:])virtiofleet[_:][A-Za-z0-9_:]*|(?<![\\w:])up(?=\\s*\\{)");

    /**
     * @param source what kind of expression
     * @param file the file it is in, relative to the repository root
     * @param name where in the file: the alert or record name, or dashboard / panel / refId, or dashboard / variable
     * @param promql the expression as written (Grafana variables unsubstituted)
     */
    public record Expression(Source source, String file, String name, String promql) {
        /** The expression ready for Prometheus' query API, Grafana variables as {@link PromQlCatalog} describes. */
        public String evaluable() {
            return evaluable(Map.of());
        }

        /** @param variables values for template variables (e.g. host=hv-01); the rest become {@code .*} */
        public String evaluable(Map<String, String> variables) {
            Matcher m = VARIABLE.matcher(promql);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
                String value = variables.getOrDefault(name, DEFAULT_BUILTINS.getOrDefault(name, ".*"));
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }

        @Override
        public String toString() {
            return source + " " + file + " [" + name + "]: " + promql;
        }
    }

    private final List<Expression> expressions;

    private PromQlCatalog(List<Expression> expressions) {
        this.expressions = List.copyOf(expressions);
    }

    /** Reads deploy/prometheus/rules/*.yml and grafana/dashboards/*.json under the repository root. */
    public static PromQlCatalog load(Path projectDir) {
        List<Expression> found = new ArrayList<>();
        for (Path file : OpsFiles.list(projectDir.resolve("deploy/prometheus/rules"), ".yml")) {
            rules(projectDir, file, found);
        }
        for (Path file : OpsFiles.list(projectDir.resolve("grafana/dashboards"), ".json")) {
            dashboard(projectDir, file, found);
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no PromQL found under " + projectDir);
        }
        return new PromQlCatalog(found);
    }

    public List<Expression> all() {
        return expressions;
    }

    public List<Expression> of(Source source) {
        return select(e -> e.source() == source);
    }

    public List<Expression> select(Predicate<Expression> filter) {
        return expressions.stream().filter(filter).toList();
    }

    /** Metric and recording-rule names the expressions read ({@code virtiofleet*} and {@code up}), sorted. */
    public Set<String> metricNames() {
        Set<String> names = new TreeSet<>();
        for (Expression e : expressions) {
            Matcher m = METRIC.matcher(e.promql());
            while (m.find()) {
                names.add(m.group());
            }
        }
        return names;
    }

    private static void rules(Path projectDir, Path file, List<Expression> found) {
        String relative = projectDir.relativize(file).toString();
        for (JsonNode group : OpsFiles.yaml(file).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                boolean alert = rule.has("alert");
                String name = (alert ? rule.path("alert") : rule.path("record")).asText();
                found.add(new Expression(alert ? Source.ALERT_RULE : Source.RECORDING_RULE, relative, name, rule.path("expr").asText().strip()));
                int n = 0;
                for (Map.Entry<String, JsonNode> annotation : rule.path("annotations").properties()) {
                    Matcher m = ANNOTATION_QUERY.matcher(annotation.getValue().asText());
                    while (m.find()) {
                        String query = m.group(1).replace("\\\"", "\"").replace("\\\\", "\\");
                        found.add(new Expression(Source.ANNOTATION_QUERY, relative, name + " / " + annotation.getKey() + " #" + ++n, query));
                    }
                }
            }
        }
    }

    private static void dashboard(Path projectDir, Path file, List<Expression> found) {
        String relative = projectDir.relativize(file).toString();
        JsonNode dashboard;
        try {
            dashboard = OpsFiles.JSON.readTree(Files.readString(file));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String title = dashboard.path("title").asText(relative);
        Map<String, JsonNode> panels = new LinkedHashMap<>();
        for (JsonNode panel : dashboard.path("panels")) {
            panels.put(panel.path("id").asText(), panel);
            for (JsonNode nested : panel.path("panels")) {
                panels.put(nested.path("id").asText(), nested);
            }
        }
        for (JsonNode panel : panels.values()) {
            for (JsonNode target : panel.path("targets")) {
                if (target.hasNonNull("expr")) {
                    found.add(new Expression(Source.PANEL, relative,
                            title + " / " + panel.path("title").asText() + " / " + target.path("refId").asText(), target.path("expr").asText()));
                }
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            if (!variable.path("type").asText().equals("query")) {
                continue;
            }
            JsonNode query = variable.path("query");
            String text = query.isObject() ? query.path("query").asText() : query.asText();
            Matcher labelValues = LABEL_VALUES.matcher(text);
            // label_values(selector, label) is Grafana's; Prometheus evaluates the selector.
            String promql = labelValues.matches() ? labelValues.group(1).strip() : text;
            found.add(new Expression(Source.VARIABLE, relative, title + " / $" + variable.path("name").asText(), promql));
        }
    }
}
