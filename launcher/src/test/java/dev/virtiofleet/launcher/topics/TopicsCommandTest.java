package dev.virtiofleet.launcher.topics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.launcher.CommandRun;
import dev.virtiofleet.topics.FleetTopics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TopicsCommandTest {

    @Test
    @Order(1)
    void verifyOnAnEmptyClusterReportsEveryTopicMissing(KafkaBroker broker) {
        CommandRun run = CommandRun.of("topics", "verify", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, run.exitCode(), run.err());
        assertEquals(FleetTopics.all().size(), run.out().lines().filter(l -> l.contains("differs: missing")).count(), run.out());
    }

    @Test
    @Order(2)
    void dryRunChangesNothing(KafkaBroker broker) {
        CommandRun dry = CommandRun.of("topics", "apply", "--dry-run", "--replication-factor", "1", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(0, dry.exitCode(), dry.err());
        assertTrue(dry.out().contains("virtio.samples") && dry.out().contains("would be created"), dry.out());
        assertEquals(1, CommandRun.of("topics", "verify", "--bootstrap-servers", broker.bootstrapServers()).exitCode());
    }

    @Test
    @Order(3)
    void applyCreatesTheTopicsAndIsIdempotent(KafkaBroker broker) {
        CommandRun first = CommandRun.of("topics", "apply", "--replication-factor", "1", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(FleetTopics.all().size(), first.out().lines().filter(l -> l.contains(" created")).count(), first.out());

        CommandRun second = CommandRun.of("topics", "apply", "--replication-factor", "1", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(0, second.exitCode(), second.err());
        assertEquals(FleetTopics.all().size(), second.out().lines().filter(l -> l.endsWith(" ok")).count(), second.out());
        assertEquals(0, CommandRun.of("topics", "verify", "--bootstrap-servers", broker.bootstrapServers()).exitCode());
    }

    @Test
    @Order(4)
    void configDriftIsFoundByVerifyAndCorrectedByApply(KafkaBroker broker) throws Exception {
        ConfigResource health = new ConfigResource(ConfigResource.Type.TOPIC, FleetTopics.HEALTH.name());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.incrementalAlterConfigs(Map.of(health, List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SET)))).all().get();
            // The broker applies the change a moment after the controller accepts it.
            while (!"delete".equals(admin.describeConfigs(List.of(health)).all().get().get(health).get("cleanup.policy").value())) {
                Thread.sleep(50);
            }
        }
        CommandRun verify = CommandRun.of("topics", "verify", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, verify.exitCode());
        assertTrue(verify.out().contains("virtio.health") && verify.out().contains("cleanup.policy -> compact"), verify.out());

        CommandRun apply = CommandRun.of("topics", "apply", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(0, apply.exitCode(), apply.err());
        assertTrue(apply.out().contains("configs updated: cleanup.policy -> compact"), apply.out());
        assertEquals(0, CommandRun.of("topics", "verify", "--bootstrap-servers", broker.bootstrapServers()).exitCode());
    }

    @Test
    @Order(5)
    void partitionCountIsReportedNeverChanged(KafkaBroker broker) {
        CommandRun apply = CommandRun.of("topics", "apply", "--partitions", "virtio.alerts=6", "--bootstrap-servers", broker.bootstrapServers());
        assertEquals(1, apply.exitCode());
        assertTrue(apply.out().contains("virtio.alerts") && apply.out().contains("needs attention: has 3 partitions, spec says 6"), apply.out());
    }

    @Test
    void badArgumentsAreOneClearLineAndExitTwo() {
        CommandRun wrongAction = CommandRun.of("topics", "delete", "--bootstrap-servers", "127.0.0.1:9");
        assertEquals(2, wrongAction.exitCode());
        assertTrue(wrongAction.err().contains("ACTION is 'delete'; allowed: apply, verify"), wrongAction.err());

        CommandRun wrongTopic = CommandRun.of("topics", "verify", "--partitions", "virtio.nope=3", "--bootstrap-servers", "127.0.0.1:9");
        assertEquals(2, wrongTopic.exitCode());
        assertTrue(wrongTopic.err().contains("--partitions names topic 'virtio.nope'"), wrongTopic.err());
    }

    @Test
    void unreachableClusterExitsThree() {
        CommandRun run = CommandRun.of("topics", "verify", "--timeout-ms", "1500", "--bootstrap-servers", "127.0.0.1:9");
        assertEquals(3, run.exitCode(), run.out() + run.err());
        assertTrue(run.err().contains("no answer from Kafka at 127.0.0.1:9"), run.err());
    }
}
