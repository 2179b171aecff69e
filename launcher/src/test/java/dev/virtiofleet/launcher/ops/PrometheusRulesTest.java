package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus and deploy/alertmanager checked by the real tools (Debian packages prometheus
 * and prometheus-alertmanager): promtool check rules / test rules / check config, amtool.
 */
class PrometheusRulesTest {
    private static final Path ROOT = OpsFiles.project();
    private static final Path PROMETHEUS = ROOT.resolve("deploy/prometheus");
    private static final Pattern RUNBOOK = Pattern.compile("https://virtio-fleet\\.example\\.net/(docs/runbooks/[a-z0-9-]+\\.md)");
    private static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    @BeforeAll
    static void tools() {
        OpsFiles.assumeTool("promtool", "apt-get install prometheus");
    }

    private static List<Path> ruleFiles() {
        return OpsFiles.list(PROMETHEUS.resolve("rules"), ".yml");
    }

    private static List<Path> testFiles() {
        return OpsFiles.list(PROMETHEUS.resolve("tests"), ".test.yml");
    }

    private static Map<String, JsonNode> alerts() {
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (Path file : ruleFiles()) {
            for (JsonNode group : OpsFiles.yaml(file).path("groups")) {
                for (JsonNode rule : group.path("rules")) {
                    if (rule.has("alert")) {
                        alerts.put(rule.path("alert").asText(), rule);
                    }
                }
            }
        }
        return alerts;
    }

    private static OpsFiles.Run promtool(Path dir, List<String> args) {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(args);
        return OpsFiles.run(dir, 60, command.toArray(String[]::new));
    }

    @Test
    void rulesPassPromtoolCheck() {
        List<String> args = new ArrayList<>(List.of("check", "rules"));
        ruleFiles().forEach(f -> args.add(f.toString()));
        OpsFiles.Run run = promtool(ROOT, args).requireSuccess("promtool check rules");
        assertEquals(ruleFiles().size(), run.output().split("SUCCESS", -1).length - 1, run.output());
    }

    @Test
    void unitTestsPass() {
        List<String> args = new ArrayList<>(List.of("test", "rules"));
        testFiles().forEach(f -> args.add(f.getFileName().toString()));
        OpsFiles.Run run = promtool(PROMETHEUS.resolve("tests"), args).requireSuccess("promtool test rules");
        assertEquals(testFiles().size(), run.output().split("SUCCESS", -1).length - 1, run.output());
    }

    /** Not firing before, firing while, resolved after: for every alert, within one test case. */
    @Test
    void everyAlertIsTestedNotFiringFiringAndResolved() {
        Map<String, String> missing = new LinkedHashMap<>();
        for (String alert : alerts().keySet()) {
            boolean covered = false;
            for (Path file : testFiles()) {
                for (JsonNode test : OpsFiles.yaml(file).path("tests")) {
                    List<long[]> checks = new ArrayList<>();
                    for (JsonNode check : test.path("alert_rule_test")) {
                        if (check.path("alertname").asText().equals(alert)) {
                            checks.add(new long[] {minutes(check.path("eval_time").asText()), check.path("exp_alerts").size()});
                        }
                    }
                    long firstFiring = checks.stream().filter(c -> c[1] > 0).mapToLong(c -> c[0]).min().orElse(-1);
                    long lastFiring = checks.stream().filter(c -> c[1] > 0).mapToLong(c -> c[0]).max().orElse(-1);
                    boolean before = checks.stream().anyMatch(c -> c[1] == 0 && c[0] < firstFiring);
                    boolean after = checks.stream().anyMatch(c -> c[1] == 0 && c[0] > lastFiring);
                    covered |= firstFiring >= 0 && before && after;
                }
            }
            if (!covered) {
                missing.put(alert, "no test case checks it not firing, then firing, then resolved");
            }
        }
        assertEquals(Map.of(), missing);
    }

    private static long minutes(String duration) {
        Matcher m = Pattern.compile("(\\d+)([smh])").matcher(duration);
        long seconds = 0;
        while (m.find()) {
            seconds += Long.parseLong(m.group(1)) * switch (m.group(2)) {
                case "h" -> 3600;
                case "m" -> 60;
                default -> 1;
            };
        }
        return seconds;
    }

    @Test
    void everyAlertHasSeveritySummaryDescriptionAndAnExistingRunbook() {
        String runbookIndex = OpsFiles.read(ROOT.resolve("docs/runbooks/README.md"));
        List<String> problems = new ArrayList<>();
        alerts().forEach((name, rule) -> {
            String severity = rule.path("labels").path("severity").asText();
            if (!SEVERITIES.contains(severity)) {
                problems.add(name + ": severity '" + severity + "' is not one of " + SEVERITIES);
            }
            for (String annotation : List.of("summary", "description")) {
                if (rule.path("annotations").path(annotation).asText().isBlank()) {
                    problems.add(name + ": no " + annotation);
                }
            }
            Matcher runbook = RUNBOOK.matcher(rule.path("annotations").path("runbook_url").asText());
            if (!runbook.matches()) {
                problems.add(name + ": runbook_url does not point into docs/runbooks/: " + rule.path("annotations").path("runbook_url"));
            } else if (!Files.isRegularFile(ROOT.resolve(runbook.group(1)))) {
                problems.add(name + ": runbook " + runbook.group(1) + " does not exist");
            } else if (!OpsFiles.read(ROOT.resolve(runbook.group(1))).contains(name) || !runbookIndex.contains(name)) {
                problems.add(name + ": not named in " + runbook.group(1) + " or in docs/runbooks/README.md");
            }
        });
        assertEquals(List.of(), problems);
    }

    /** The unit tests bite: a rule changed to fire later makes them fail, naming the alert. */
    @Test
    void unitTestsCatchABrokenRule(@TempDir Path copy) throws IOException {
        copyTree(PROMETHEUS.resolve("rules"), copy.resolve("rules"));
        copyTree(PROMETHEUS.resolve("tests"), copy.resolve("tests"));
        Path alertsFile = copy.resolve("rules/virtio-fleet-alerts.yml");
        String rules = Files.readString(alertsFile);
        String broken = rules.replace("expr: up{job=\"virtio-fleet-agent\"} == 0\n        for: 2m", "expr: up{job=\"virtio-fleet-agent\"} == 0\n        for: 20m");
        assertNotEquals(rules, broken, "the agent-down rule changed shape; update this test");
        Files.writeString(alertsFile, broken);
        OpsFiles.Run run = promtool(copy.resolve("tests"), List.of("test", "rules", "agents.test.yml"));
        assertNotEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("alertname: VirtioFleetAgentDown"), run.output());
    }

    /** The compose stack's Prometheus is checked as its container sees it, in ComposeFileTest. */
    @Test
    void scrapeConfigIsValid() {
        Path config = PROMETHEUS.resolve("prometheus.yml");
        OpsFiles.Run run = promtool(ROOT, List.of("check", "config", config.toString())).requireSuccess("promtool check config " + config);
        assertTrue(run.output().contains("SUCCESS: 2 rule files found"), run.output());
    }

    /**
     * Debian builds Prometheus without Kubernetes service discovery, so its promtool rejects
     * kubernetes_sd_configs as an unknown field. Then the file is checked with those blocks swapped
     * for empty static_configs: everything else, the relabelling included, is checked as written.
     */
    @Test
    void kubernetesScrapeConfigIsValid(@TempDir Path copy) throws IOException {
        Path config = PROMETHEUS.resolve("prometheus-kubernetes.yml");
        OpsFiles.Run run = promtool(ROOT, List.of("check", "config", config.toString()));
        if (run.exit() != 0 && run.output().contains("field kubernetes_sd_configs not found")) {
            System.out.println("promtool here has no Kubernetes service discovery (Debian build): checking "
                    + config.getFileName() + " with kubernetes_sd_configs replaced by static_configs");
            JsonNode tree = OpsFiles.yaml(config);
            assertTrue(swapKubernetesDiscovery(tree) > 0);
            copyTree(PROMETHEUS.resolve("rules"), copy.resolve("rules"));
            Path checked = copy.resolve(config.getFileName());
            OpsFiles.YAML.writeValue(checked.toFile(), tree);
            run = promtool(copy, List.of("check", "config", checked.toString()));
        }
        run.requireSuccess("promtool check config " + config);
    }

    @Test
    void alertmanagerConfigIsValidAndRoutesBySeverity() {
        OpsFiles.assumeTool("amtool", "apt-get install prometheus-alertmanager");
        String config = "--config.file=" + ROOT.resolve("deploy/alertmanager/alertmanager.yml");
        OpsFiles.run(ROOT, 30, "amtool", "check-config", ROOT.resolve("deploy/alertmanager/alertmanager.yml").toString())
                .requireSuccess("amtool check-config");
        Map<String, String> expected = Map.of(
                "severity=critical", "oncall-pager,team-chat",
                "severity=warning", "team-chat",
                "severity=info", "team-chat");
        expected.forEach((labels, receivers) -> {
            OpsFiles.Run run = OpsFiles.run(ROOT, 30, "amtool", "config", "routes", "test", config, "--verify.receivers=" + receivers,
                    "alertname=VirtioQueueStalled", labels);
            run.requireSuccess("alerts with " + labels + " should go to " + receivers);
        });
    }

    private static int swapKubernetesDiscovery(JsonNode node) {
        int swapped = 0;
        if (node instanceof com.fasterxml.jackson.databind.node.ObjectNode object && object.has("kubernetes_sd_configs")) {
            object.remove("kubernetes_sd_configs");
            object.putArray("static_configs");
            swapped++;
        }
        for (JsonNode child : node) {
            swapped += swapKubernetesDiscovery(child);
        }
        return swapped;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path file : files.toList()) {
                Files.copy(file, to.resolve(file.getFileName()));
            }
        }
    }
}
