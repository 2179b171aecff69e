package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example configurations are ones the apps accept, and the systemd units pass systemd's own check. */
class DeployConfigsTest {
    private static final Path ROOT = OpsFiles.project();

    @Test
    void streamsConfigurationsAreAcceptedByTheDetectionApp() throws IOException {
        for (Path file : List.of(ROOT.resolve("deploy/systemd/streams.yaml"), ROOT.resolve("deploy/compose/streams.yaml"))) {
            StreamsAppConfig config = StreamsAppConfig.load(file);
            assertEquals(8470, config.restListen().getPort(), file.toString());
        }
    }

    @Test
    void agentConfigurationsAreAcceptedByTheAgent(@TempDir Path spool) throws IOException {
        for (Path file : List.of(ROOT.resolve("deploy/agent/agent.yaml"), ROOT.resolve("deploy/compose/agent.yaml"))) {
            String yaml = OpsFiles.read(file);
            String configuredSpool = OpsFiles.yaml(file).path("publish").path("spool-dir").asText();
            // The agent checks its spool directory is writable; here that is this test's directory.
            AgentConfig config = AgentConfig.parse(yaml.replace("spool-dir: " + configuredSpool, "spool-dir: " + spool), file.toString());
            assertEquals(spool, config.publish().spoolDir(), file.toString());
        }
    }

    @Test
    void kafkaClientPropertiesAreKafkaClientSettings() throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(OpsFiles.read(ROOT.resolve("deploy/systemd/kafka-client.properties"))));
        List<String> unknown = new ArrayList<>();
        properties.stringPropertyNames().forEach(key -> {
            if (!AdminClientConfig.configNames().contains(key)) {
                unknown.add(key);
            }
        });
        assertTrue(properties.size() > 5, properties.toString());
        assertEquals(List.of(), unknown, "not Kafka admin client settings (topics apply --command-config)");
    }

    @Test
    void systemdUnitsVerify() {
        OpsFiles.assumeTool("systemd-analyze", "systemd");
        for (Path unit : List.of(ROOT.resolve("deploy/systemd/virtio-fleet-streams.service"), ROOT.resolve("deploy/agent/virtio-fleet-agent.service"))) {
            OpsFiles.Run run = OpsFiles.run(unit.getParent(), 60, "systemd-analyze", "verify", unit.toString());
            // Units reference /opt/virtio-fleet and a virtio-fleet user that a build machine lacks; anything else is an error.
            List<String> errors = run.output().lines()
                    .filter(line -> !line.isBlank())
                    .filter(line -> !line.contains("/opt/virtio-fleet") && !line.contains("virtio-fleet.jar"))
                    .toList();
            assertEquals(List.of(), errors, unit + ":\n" + run.output());
            assertEquals(0, run.exit(), unit + ":\n" + run.output());
        }
    }
}
