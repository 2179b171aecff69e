package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * grafana/dashboards type-checked against Grafana's published schema (npm @grafana/schema) by
 * grafana/check (tsc), and their wiring to grafana/provisioning.
 */
class GrafanaDashboardsTest {
    private static final Path ROOT = OpsFiles.project();
    private static final Path CHECK = ROOT.resolve("grafana/check");
    private static final List<Path> DASHBOARDS = OpsFiles.list(ROOT.resolve("grafana/dashboards"), ".json");

    /** npm ci once, and again only when package-lock.json changed since. */
    @BeforeAll
    static void install() throws IOException {
        OpsFiles.assumeTool("node", "Node.js");
        OpsFiles.assumeTool("npm", "npm");
        Path installed = CHECK.resolve("node_modules/.package-lock.json");
        FileTime lock = Files.getLastModifiedTime(CHECK.resolve("package-lock.json"));
        if (!Files.exists(installed) || Files.getLastModifiedTime(installed).compareTo(lock) < 0) {
            OpsFiles.run(CHECK, 300, "npm", "ci", "--no-audit", "--no-fund").requireSuccess("npm ci in grafana/check");
        }
    }

    @Test
    void everyDashboardTypeChecksAgainstGrafanasSchema() {
        OpsFiles.Run run = OpsFiles.run(CHECK, 120, "node", "check.mjs").requireSuccess("grafana/check");
        assertTrue(run.output().contains(DASHBOARDS.size() + " dashboard(s) type-check"), run.output());
    }

    @Test
    void aWrongFieldTypeFailsTheCheck(@TempDir Path dir) throws IOException {
        String dashboard = Files.readString(DASHBOARDS.getFirst());
        String broken = dashboard.replaceFirst("\"schemaVersion\": (\\d+)", "\"schemaVersion\": \"$1\"");
        assertNotEquals(dashboard, broken);
        Path file = Files.writeString(dir.resolve("broken.json"), broken);
        OpsFiles.Run run = OpsFiles.run(CHECK, 120, "node", "check.mjs", file.toString());
        assertEquals(1, run.exit(), run.output());
        assertTrue(run.output().contains("Type 'string' is not assignable to type 'number'"), run.output());
    }

    @Test
    void dashboardsUseTheProvisionedDatasourceAndHaveDistinctUids() throws IOException {
        String datasource = OpsFiles.yaml(ROOT.resolve("grafana/provisioning/datasources/virtio-fleet.yml"))
                .path("datasources").get(0).path("uid").asText();
        Set<String> uids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (Path file : DASHBOARDS) {
            JsonNode dashboard = OpsFiles.JSON.readTree(Files.readString(file));
            if (!uids.add(dashboard.path("uid").asText())) {
                problems.add(file.getFileName() + ": uid " + dashboard.path("uid") + " used twice");
            }
            for (JsonNode ref : dashboard.findValues("datasource")) {
                String uid = ref.path("uid").asText();
                if (ref.path("type").asText().equals("prometheus") && !uid.equals(datasource)) {
                    problems.add(file.getFileName() + ": datasource uid " + uid + " is not the provisioned " + datasource);
                }
            }
            for (JsonNode panel : dashboard.findValues("panels").stream().flatMap(p -> p.findParents("type").stream()).toList()) {
                String type = panel.path("type").asText();
                if (panel.has("gridPos") && !Set.of("row", "text").contains(type) && panel.path("targets").isEmpty()) {
                    problems.add(file.getFileName() + ": panel " + panel.path("title") + " has no query");
                }
            }
        }
        assertEquals(List.of(), problems);
    }
}
