package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.kafka.ContainerKafkaBroker;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * deploy/compose/compose.yaml cannot be run here (no Docker engine), so it is checked as data: its
 * services, images and local files, and its Prometheus as the container would see it.
 */
class ComposeFileTest {
    private static final Path ROOT = OpsFiles.project();
    private static final Path COMPOSE_DIR = ROOT.resolve("deploy/compose");
    /** Built by ./mvnw package (the launcher's finalName), not committed. */
    private static final Path BUILD_OUTPUT = ROOT.resolve("launcher/target");

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> services() {
        // SnakeYAML rather than Jackson: compose files use anchors and merge keys (<<: *launcher).
        Map<String, Object> compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(OpsFiles.read(COMPOSE_DIR.resolve("compose.yaml")));
        return (Map<String, Map<String, Object>>) compose.get("services");
    }

    @SuppressWarnings("unchecked")
    private static List<String> list(Map<String, Object> service, String key) {
        Object value = service.getOrDefault(key, List.of());
        if (value instanceof Map<?, ?> map) {
            return new ArrayList<>((java.util.Set<String>) map.keySet());
        }
        return ((List<Object>) value).stream().map(String::valueOf).toList();
    }

    @Test
    void hasTheStackAndPinsEveryImage() {
        Map<String, Map<String, Object>> services = services();
        assertTrue(services.keySet().containsAll(List.of("kafka", "topics", "streams", "prometheus", "grafana")), services.keySet().toString());
        services.forEach((name, service) -> {
            String image = String.valueOf(service.get("image"));
            assertTrue(image.matches("[\\w./-]+:[\\w.-]+") && !image.endsWith(":latest"), name + ": image not pinned: " + image);
            list(service, "depends_on").forEach(dependency -> assertTrue(services.containsKey(dependency), name + " depends on unknown " + dependency));
        });
        // The same broker the tests run with Testcontainers.
        assertEquals(ContainerKafkaBroker.IMAGE, services.get("kafka").get("image"));
    }

    @Test
    void everyLocalFileItMountsExists() {
        List<String> missing = new ArrayList<>();
        services().forEach((name, service) -> {
            for (String volume : list(service, "volumes")) {
                String source = volume.split(":")[0];
                if (!source.startsWith(".")) {
                    continue;
                }
                Path path = COMPOSE_DIR.resolve(source).normalize();
                if (path.equals(BUILD_OUTPUT)) {
                    assertTrue(OpsFiles.read(ROOT.resolve("launcher/pom.xml")).contains("<finalName>virtio-fleet</finalName>"));
                } else if (!Files.exists(path)) {
                    missing.add(name + ": " + volume);
                }
            }
        });
        assertEquals(List.of(), missing);
    }

    @Test
    void topicsComeFromTopicsApplyNotFromTheComposeFiles() throws IOException {
        String command = String.join(" ", list(services().get("topics"), "command"));
        assertTrue(command.contains("virtio-fleet.jar topics apply --bootstrap-servers"), command);
        try (Stream<Path> files = Files.list(COMPOSE_DIR)) {
            for (Path file : files.toList()) {
                String text = Files.readString(file).lines().filter(line -> !line.strip().startsWith("#")).collect(java.util.stream.Collectors.joining("\n"));
                for (String declaration : List.of("partitions", "retention.ms", "cleanup.policy", "kafka-topics", "KAFKA_CREATE_TOPICS")) {
                    assertFalse(text.contains(declaration), file + " declares topics (" + declaration + "); FleetTopics is the one place");
                }
            }
        }
    }

    /** The Prometheus container's /etc/prometheus laid out from the service's mounts, then promtool check config. */
    @Test
    void prometheusConfigIsValidAsTheContainerSeesIt(@TempDir Path etc) throws IOException {
        OpsFiles.assumeTool("promtool", "apt-get install prometheus");
        for (String volume : list(services().get("prometheus"), "volumes")) {
            String[] parts = volume.split(":");
            assertTrue(parts[1].startsWith("/etc/prometheus/") || parts[1].equals("/etc/prometheus"), volume);
            Path target = etc.resolve(parts[1].substring("/etc/prometheus/".length()));
            Path source = COMPOSE_DIR.resolve(parts[0]).normalize();
            if (Files.isDirectory(source)) {
                Files.createDirectories(target);
                for (Path file : OpsFiles.list(source, "")) {
                    Files.copy(file, target.resolve(file.getFileName()));
                }
            } else {
                Files.copy(source, target);
            }
        }
        OpsFiles.Run run = OpsFiles.run(etc, 60, "promtool", "check", "config", etc.resolve("prometheus.yml").toString())
                .requireSuccess("promtool check config of the compose Prometheus");
        assertTrue(run.output().contains("SUCCESS: 2 rule files found"), run.output());
    }

    @Test
    void grafanaGetsTheProvisioningAndTheDashboardsWhereTheProviderLooks() {
        Map<String, Object> grafana = services().get("grafana");
        List<String> volumes = list(grafana, "volumes");
        String provider = OpsFiles.yaml(ROOT.resolve("grafana/provisioning/dashboards/virtio-fleet.yml"))
                .path("providers").get(0).path("options").path("path").asText();
        assertTrue(volumes.contains("../../grafana/provisioning:/etc/grafana/provisioning:ro"), volumes.toString());
        assertTrue(volumes.contains("../../grafana/dashboards:" + provider + ":ro"), volumes + " vs provider path " + provider);
        assertTrue(String.valueOf(grafana.get("environment")).contains("PROMETHEUS_URL"), "the datasource reads ${PROMETHEUS_URL}");
    }
}
