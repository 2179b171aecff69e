package dev.virtiofleet.agent.runtime;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.qapi.QapiReader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With the Kafka cluster unreachable the agent keeps polling, spools its samples and counts unsent heartbeats. */
class AgentWithoutBrokerTest {
    @TempDir
    Path spool;

    @Test
    void pollingGoesOnSamplesAreSpooledAndUnsentHeartbeatsAreReported() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        TranscriptReplay guest = TranscriptReplay.of("qemu-7.2-linux-6.1-guest-running.txt").answer(QapiReader.X_QUERY_VIRTIO, null,
                json("{\"return\": [{\"name\": \"virtio-rng\", \"path\": \"/machine/peripheral/rng0/virtio-backend\"}]}"));
        AgentHeartbeat whileRunning;
        AgentHeartbeat afterClose;
        try (TestQmpServer vm = TestQmpServer.unix(guest)) {
            AgentConfig config = AgentConfig.parse("""
                    host-id: hv-offline
                    discovery:
                      socket-globs: ["%s"]
                    poll:
                      interval: 100ms
                    publish:
                      spool-dir: %s
                      memory-queue-records: 5
                      send-block-timeout: 200ms
                      close-timeout: 1s
                    metrics:
                      enabled: false
                    kafka:
                      bootstrap.servers: 127.0.0.1:%d
                    """.formatted(vm.endpoint().describe(), spool, closedPort), "offline.yaml");
            Agent agent = Agent.start(config, "test");
            try {
                long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < giveUp && !(agent.vms().stream().anyMatch(s -> s.sampledSweeps() >= 20)
                        && agent.heartbeat().getDroppedSamples().getOrDefault(Agent.HEARTBEAT_NOT_SENT, 0L) >= 2)) {
                    Thread.sleep(20);
                }
                whileRunning = agent.heartbeat();
            } finally {
                agent.close();
            }
            afterClose = agent.heartbeat();
        }
        assertTrue(whileRunning.getDroppedSamples().get(Agent.HEARTBEAT_NOT_SENT) >= 2, whileRunning.toString());
        assertTrue(whileRunning.getLastSampleSequence() >= 19, "polling never waits for Kafka: " + whileRunning.getLastSampleSequence());
        assertTrue(whileRunning.getSpooledSamples() > 0, "past the memory queue, samples go to disk: " + whileRunning);
        assertEquals(afterClose.getLastSampleSequence() + 1, afterClose.getSpooledSamples(),
                "on close every sample made waits on disk for the next start");
        assertTrue(afterClose.getDroppedSamples().keySet().stream().allMatch(Agent.HEARTBEAT_NOT_SENT::equals),
                "no sample dropped: " + afterClose.getDroppedSamples());
    }
}
