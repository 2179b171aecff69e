package dev.virtiofleet.agent.poll;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;

/** "Never stop a ring by looking at it": the vhost-user rule, against a monitor that records what it got. */
class VhostUserSafetyTest {
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";
    private static final String BLK = "/machine/peripheral/blk0/virtio-backend";
    private static final JsonNode BLK_QUEUE_0 = json("{\"path\": \"" + BLK + "\", \"queue\": 0}");
    private static final JsonNode VHOST_QUEUE_STATUS = json("{\"return\": {\"avail-phys\": 43479040, \"name\": \"virtio-blk\", "
            + "\"used-phys\": 43479616, \"avail-size\": 518, \"desc-size\": 4096, \"used-size\": 2054, \"desc\": 140141447430144, "
            + "\"num\": 256, \"call\": 0, \"avail\": 140141447446528, \"desc-phys\": 43474944, \"used\": 140141447448640, \"kick\": 0}}");

    private final AgentRun run = new AgentRun("hv-0001.example", "run-1");

    /** The blk device of the running guest, as if its backend were a started vhost backend. */
    private static TranscriptReplay withStartedVhost(List<String> protocols, boolean withVhostDev) {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING);
        ObjectNode status = replay.recorded(QapiReader.X_QUERY_VIRTIO_STATUS, json("{\"path\": \"" + BLK + "\"}"))
                .response().deepCopy();
        ObjectNode value = (ObjectNode) status.get("return");
        value.put("vhost-started", true);
        if (withVhostDev) {
            ObjectNode vhost = value.putObject("vhost-dev");
            vhost.put("n-mem-sections", 4).put("n-tmp-sections", 4).put("nvqs", 1).put("vq-index", 0)
                    .put("max-queues", 1).put("backend-cap", 2).put("log-enabled", false).put("log-size", 0);
            vhost.set("features", value.get("host-features").deepCopy());
            vhost.set("acked-features", value.get("guest-features").deepCopy());
            vhost.set("backend-features", json("{\"dev-features\": [], \"transports\": []}"));
            ObjectNode protocolFeatures = vhost.putObject("protocol-features");
            protocols.forEach(protocolFeatures.putArray("protocols")::add);
        }
        replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, json("{\"path\": \"" + BLK + "\"}"), status);
        replay.answer(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, BLK_QUEUE_0, VHOST_QUEUE_STATUS);
        replay.answer(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, BLK_QUEUE_0,
                replay.recorded(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, BLK_QUEUE_0).response());
        return replay;
    }

    private static String protocol(int index) {
        return FeatureCatalog.vhostUserProtocolFeatures().get(index).qmpText();
    }

    private VirtioSample blkAfterSweeps(TestQmpServer server, int sweeps) throws Exception {
        try (VmPoller poller = VmPoller.connect(server.endpoint(), QmpClientConfig.defaults(), run, SweepPolicy.FULL, Clock.systemUTC())) {
            List<VirtioSample> samples = List.of();
            for (int i = 0; i < sweeps; i++) {
                samples = poller.sweep().samples();
            }
            return samples.stream().filter(s -> s.getDevicePath().equals(BLK)).findFirst().orElseThrow();
        }
    }

    private static long queueStatusQueriesOfBlk(TestQmpServer server) {
        return server.received().stream()
                .filter(c -> c.path("execute").asText().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS))
                .filter(c -> c.path("arguments").path("path").asText().equals(BLK))
                .count();
    }

    @Test
    void aStartedVhostUserBackendNeverGetsQueueStatusAndIsFollowedThroughSafeQueries() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(withStartedVhost(List.of(protocol(0), protocol(1)), true))) {
            VirtioSample blk = blkAfterSweeps(server, 3);
            assertEquals(0, queueStatusQueriesOfBlk(server), "x-query-virtio-queue-status must never reach a vhost-user device");
            QueueSample queue = blk.getQueues().get(0);
            assertNull(queue.getStatus());
            assertNotNull(queue.getVhostStatus(), "followed through x-query-virtio-vhost-queue-status");
            assertNotNull(queue.getElement(), "and through the guest-memory indices of x-query-virtio-queue-element");
            VmPollerTest.assertError(blk, CommandErrorKind.SKIPPED_UNSAFE, QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 0);
            // The other devices keep their queue status: scsi 3 + kbd 2 + bal 3 + ser 64 + rng 1 + net 3 queues, 3 sweeps.
            long others = server.received().stream()
                    .filter(c -> c.path("execute").asText().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS))
                    .count();
            assertEquals(3 * 76, others);
        }
    }

    @Test
    void aStartedVhostBackendThatDoesNotShowItsKindIsTreatedAsVhostUser() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(withStartedVhost(List.of(), false))) {
            VirtioSample blk = blkAfterSweeps(server, 1);
            assertEquals(0, queueStatusQueriesOfBlk(server));
            VmPollerTest.assertError(blk, CommandErrorKind.SKIPPED_UNSAFE, QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 0);
        }
    }

    @Test
    void aKernelVhostBackendWithoutVhostUserProtocolIsPolledNormally() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(withStartedVhost(List.of(), true))) {
            VirtioSample blk = blkAfterSweeps(server, 1);
            assertEquals(1, queueStatusQueriesOfBlk(server));
            QueueSample queue = blk.getQueues().get(0);
            assertNotNull(queue.getStatus());
            assertNotNull(queue.getVhostStatus());
            assertEquals(List.of(), blk.getErrors());
        }
    }
}
