package dev.virtiofleet.agent.poll;

import static dev.virtiofleet.agent.testing.QmpScripts.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.OutcomeCounts;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.VirtioStatus;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class VmPollerTest {
    private static final int NO_IDLE_PROBES = 0;
    private static final String RUNNING = "qemu-7.2-linux-6.1-guest-running.txt";
    private static final Serde<VirtioSample> PUBLISHED = FleetSerdes.singleObject().sample();
    private static final String HUNG = "qemu-7.2-virtio-blk-backend-hung.txt";
    private static final String BLK = "/machine/peripheral/blk0/virtio-backend";
    private static final String NET = "/machine/peripheral/net0/virtio-backend";
    private static final String KBD = "/machine/peripheral/kbd0/virtio-backend";
    private static final QmpClientConfig CONFIG = QmpClientConfig.defaults();

    private final AgentRun run = new AgentRun("hv-0001.example", "run-1");

    private SweepOutcome sweepOnce(TestQmpServer server) throws Exception {
        try (VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, SweepPolicy.FULL, Clock.systemUTC())) {
            return poller.sweep();
        }
    }

    private static Map<String, VirtioSample> byPath(SweepOutcome outcome) {
        return outcome.samples().stream().collect(Collectors.toMap(VirtioSample::getDevicePath, Function.identity()));
    }

    private static JsonNode args(String path) {
        return json("{\"path\": \"" + path + "\"}");
    }

    private static JsonNode args(String path, int queue) {
        return json("{\"path\": \"" + path + "\", \"queue\": " + queue + "}");
    }

    private static long commandsSent(TestQmpServer server, String execute) {
        return server.received().stream().filter(c -> c.path("execute").asText().equals(execute)).count();
    }

    private static long elementReadsOf(TestQmpServer server, String devicePath) {
        return server.received().stream().filter(c -> c.path("execute").asText().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT)
                && c.path("arguments").path("path").asText().equals(devicePath)).count();
    }

    private static long commandsSent(TestQmpServer server, String execute, JsonNode arguments) {
        return server.received().stream()
                .filter(c -> c.path("execute").asText().equals(execute) && c.path("arguments").equals(arguments))
                .count();
    }

    @Test
    void aSweepOfTheRunningGuestGivesOneSamplePerDeviceWithEveryQueue() throws Exception {
        Transcript transcript = Transcript.named(RUNNING);
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING))) {
            SweepOutcome outcome = sweepOnce(server);
            List<VirtioSample> samples = assertInstanceOf(SweepOutcome.Completed.class, outcome).samples();
            assertEquals(List.of("virtio-scsi", "virtio-input", "virtio-balloon", "virtio-serial", "virtio-rng",
                    "virtio-blk", "virtio-net"), samples.stream().map(VirtioSample::getDeviceName).toList());
            assertEquals(List.of(3, 2, 3, 64, 1, 1, 3), samples.stream().map(s -> s.getQueues().size()).toList());
            for (int i = 0; i < samples.size(); i++) {
                VirtioSample sample = samples.get(i);
                VirtioSample expected = TranscriptSamples.sampleOf(transcript, sample.getDevicePath(), false).sample();
                assertEquals(expected.getStatus(), VirtioStatus.newBuilder(sample.getStatus()).build(), sample.getDevicePath());
                assertEquals(expected.getStatus(), PUBLISHED.deserializer().deserialize("t", PUBLISHED.serializer().serialize("t", sample)).getStatus(),
                        "the bytes published say what the sample does: " + sample.getDevicePath());
                assertEquals(expected.getQueues(), sample.getQueues(), sample.getDevicePath());
                assertEquals(List.of(), sample.getErrors(), sample.getDevicePath());
                assertEquals("hv-0001.example", sample.getHostId());
                assertEquals("run-1", sample.getAgentRunId());
                assertEquals(i, sample.getAgentSequence(), "one sequence per sample, in order");
                assertEquals(TranscriptReplay.VM_NAME, sample.getVmName());
                assertEquals(TranscriptReplay.VM_UUID, sample.getVmUuid());
                assertEquals(expected.getQemuVersion(), sample.getQemuVersion());
                assertEquals("running", sample.getVmRunState());
                assertTrue(sample.getVmRunning());
            }
            // query-name, -uuid, -commands, query-status, x-query-virtio, 7 statuses, 77 queue statuses
            assertEquals(new OutcomeCounts(3L + 2 + 7 + 77, 0L, 0L, 0L, 0L), run.outcomes().snapshot());
            assertEquals(server.received().size() - 1, 3 + 2 + 7 + 77, "qmp_capabilities plus what was counted");
            assertEquals(0, server.receivedCommandNames().stream()
                    .filter(QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS::equals).count(), "no vhost backend is started");
            assertEquals(0, server.receivedCommandNames().stream()
                    .filter(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT::equals).count(), "nothing looks stuck on a first sweep");
        }
    }

    /** An unchanged status is not decoded again, but a changed one is never served from the last sweep. */
    @Test
    void aStatusThatChangesBetweenSweepsIsSampledAsItIsNow() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING);
        JsonNode healthy = replay.recorded(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK)).response();
        ObjectNode broken = (ObjectNode) healthy.deepCopy();
        ((ObjectNode) broken.get("return")).put("broken", true);
        try (TestQmpServer server = TestQmpServer.unix(replay);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, SweepPolicy.FULL, Clock.systemUTC())) {
            VirtioSample first = byPath(poller.sweep()).get(BLK);
            VirtioSample same = byPath(poller.sweep()).get(BLK);
            replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK), broken);
            VirtioSample changed = byPath(poller.sweep()).get(BLK);
            replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK), healthy);
            VirtioSample back = byPath(poller.sweep()).get(BLK);

            assertFalse(first.getStatus().getBroken());
            assertEquals(first.getStatus(), same.getStatus());
            assertTrue(changed.getStatus().getBroken(), "the new reply is read, not the last sweep's");
            assertEquals(first.getStatus(), back.getStatus());
            assertEquals(4, commandsSent(server, QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK)), "asked every sweep");
        }
    }

    /**
     * The statuses of the devices listed last time go out with the device list, before it is
     * answered: a device unplugged since then is still asked (QEMU answers an error nobody reads),
     * one plugged since is asked once the list shows it.
     */
    @Test
    void devicesListedLastTimeAreAskedForTheirStatusWithTheListAndNewOnesAfterIt() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING);
        JsonNode everyDevice = replay.recorded(QapiReader.X_QUERY_VIRTIO, null).response();
        ObjectNode withoutNet = (ObjectNode) everyDevice.deepCopy();
        ArrayNode listed = (ArrayNode) withoutNet.get("return");
        for (int i = listed.size() - 1; i >= 0; i--) {
            if (listed.get(i).path("path").asText().equals(NET)) {
                listed.remove(i);
            }
        }
        JsonNode netStatus = replay.recorded(QapiReader.X_QUERY_VIRTIO_STATUS, args(NET)).response();
        try (TestQmpServer server = TestQmpServer.unix(replay);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, SweepPolicy.FULL, Clock.systemUTC())) {
            assertEquals(7, poller.sweep().samples().size());
            replay.answer(QapiReader.X_QUERY_VIRTIO, null, withoutNet);
            replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(NET), json("{\"error\": {\"class\": \"GenericError\", "
                    + "\"desc\": \"Path /machine/peripheral/net0/virtio-backend is not a VirtIODevice\"}}"));
            SweepOutcome unplugged = poller.sweep();
            assertEquals(2, commandsSent(server, QapiReader.X_QUERY_VIRTIO_STATUS, args(NET)), "asked before the list said it was gone");
            assertEquals(6, unplugged.samples().size());
            assertEquals(List.of(), unplugged.samples().stream().flatMap(sample -> sample.getErrors().stream())
                    .filter(error -> error.getCommand().equals(QapiReader.X_QUERY_VIRTIO_STATUS)).toList(),
                    "the gone device's answer is nobody's error");

            replay.answer(QapiReader.X_QUERY_VIRTIO, null, everyDevice);
            replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(NET), netStatus);
            Map<String, VirtioSample> replugged = byPath(poller.sweep());
            assertEquals(3, commandsSent(server, QapiReader.X_QUERY_VIRTIO_STATUS, args(NET)), "asked once the list showed it");
            assertEquals(7, replugged.size());
            assertNotNull(replugged.get(NET).getStatus());
            assertEquals(3, replugged.get(NET).getQueues().size(), "its queues are read too");
            assertEquals(List.of(), replugged.get(NET).getErrors());
        }
    }

    @Test
    void aSweepPipelinesEachPhase() throws Exception {
        // The monitor answers no device status before it has all 7 requests, and no queue status
        // before all 80: a poller that sent one command per round trip would time out here.
        TranscriptReplay gated = TranscriptReplay.of(RUNNING)
                .holdingAnswers(QapiReader.X_QUERY_VIRTIO_STATUS, 7)
                .holdingAnswers(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 3 + 2 + 3 + 64 + 1 + 1 + 3);
        try (TestQmpServer server = TestQmpServer.unix(gated);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG.withCommandDeadline(Duration.ofSeconds(3)), run, SweepPolicy.FULL, Clock.systemUTC())) {
            SweepOutcome outcome = poller.sweep();
            assertEquals(7, assertInstanceOf(SweepOutcome.Completed.class, outcome).samples().size());
            assertTrue(outcome.samples().stream().allMatch(s -> s.getErrors().isEmpty()));
            assertTrue(outcome.samples().stream().allMatch(s -> s.getPollDurationMicros() > 0));
        }
    }

    @Test
    void betweenCensusSweepsOnlyQueuesInUseAreRead() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, new SweepPolicy(3, NO_IDLE_PROBES), Clock.systemUTC())) {
            List<Integer> commandsPerSweep = new java.util.ArrayList<>();
            List<Integer> queuesPerSweep = new java.util.ArrayList<>();
            for (int sweep = 0; sweep < 4; sweep++) {
                int before = server.received().size();
                SweepOutcome outcome = poller.sweep();
                commandsPerSweep.add(server.received().size() - before);
                queuesPerSweep.add(outcome.samples().stream().mapToInt(s -> s.getQueues().size()).sum());
            }
            // Census: query-status, x-query-virtio, 7 device statuses, 77 queue statuses. In between,
            // the 8 queues that ever moved, plus the element of net rx, whose posted buffers are
            // offered and not taken. (The balloon's stats buffer is held too, but at which slot is not
            // provable from unchanged readings, so that element is not read.)
            assertEquals(List.of(86, 2 + 7 + 8 + 1, 2 + 7 + 8 + 1, 86 + 1), commandsPerSweep);
            assertEquals(List.of(77, 8, 8, 77), queuesPerSweep);
            assertTrue(commandsPerSweep.get(0) >= 3 * commandsPerSweep.get(1), "at least 3x fewer commands per interval");
        }
    }

    @Test
    void idleQueuesInUseGetTheirElementReadOnIdleProbeSweepsOnly() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(RUNNING));
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, new SweepPolicy(1, 2), Clock.systemUTC())) {
            List<Long> elementsPerSweep = new java.util.ArrayList<>();
            for (int sweep = 0; sweep < 3; sweep++) {
                long before = commandsSent(server, QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT);
                poller.sweep();
                elementsPerSweep.add(commandsSent(server, QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT) - before);
            }
            // Sweep 0: nothing to compare with. Sweep 1: net rx, buffers offered and not taken (the
            // balloon's held stats buffer sits at no provable slot). Sweep 2, an idle probe: also the 6
            // other queues that were in use and made no progress (a lost kick shows only in guest
            // memory); never the 69 queues that were never used.
            assertEquals(List.of(0L, 1L, 7L), elementsPerSweep);
        }
    }

    @Test
    void theHungBackendShowsItsBlkQueueWithOneRequestInUse() throws Exception {
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(HUNG))) {
            VirtioSample blk = byPath(sweepOnce(server)).get(BLK);
            QueueSample queue = blk.getQueues().get(0);
            assertEquals(1, queue.getStatus().getInuse());
            assertEquals(6210, queue.getStatus().getLastAvailIdx());
            assertEquals(6209, queue.getStatus().getUsedIdx());
        }
    }

    @Test
    void aStuckQueueWithoutAProvablyHeldSlotGetsNoElementReadAndSaysWhy() throws Exception {
        // The hung-backend transcript, replayed unchanged: inuse 1 at last-avail 6210, used 6209, on
        // two sweeps. Which slot holds the request is unknown (completions may come out of order), and
        // the chain at a stale slot can make QEMU mark the device broken: no element read.
        try (TestQmpServer server = TestQmpServer.unix(TranscriptReplay.of(HUNG));
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, new SweepPolicy(1, NO_IDLE_PROBES), Clock.systemUTC())) {
            poller.sweep();
            SweepOutcome second = poller.sweep();
            assertEquals(0, elementReadsOf(server, BLK), "no element read at an unproven slot");
            VirtioSample blk = byPath(second).get(BLK);
            assertEquals(1, blk.getQueues().get(0).getStatus().getInuse());
            assertNull(blk.getQueues().get(0).getElement());
            CommandError skipped = blk.getErrors().stream().filter(e -> e.getCommand().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT))
                    .findFirst().orElseThrow();
            assertEquals(CommandErrorKind.SKIPPED_UNSAFE, skipped.getKind());
            assertEquals(0, skipped.getQueueIndex());
        }
    }

    @Test
    void aStuckQueueGetsTheElementOfItsNewestRequestWhenNothingCompletedSinceItWasTaken() throws Exception {
        TranscriptReplay hung = TranscriptReplay.of(HUNG);
        JsonNode element = TranscriptReplay.of(RUNNING).recorded(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, args(BLK, 0)).response();
        ObjectNode atNewest = (ObjectNode) args(BLK, 0).deepCopy();
        atNewest.put("index", 6210);
        hung.answer(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, atNewest, element);
        try (TestQmpServer server = TestQmpServer.unix(hung);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, new SweepPolicy(1, NO_IDLE_PROBES), Clock.systemUTC())) {
            poller.sweep();
            // The guest submitted one more request, the device took it (last-avail 6210 -> 6211) and
            // completed nothing (used 6209): the chain at slot 6210 is in flight, intact.
            ObjectNode status = (ObjectNode) hung.recorded(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(BLK, 0)).response().deepCopy();
            ((ObjectNode) status.get("return")).put("inuse", 2).put("last-avail-idx", 6211).put("shadow-avail-idx", 6211);
            hung.answer(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(BLK, 0), status);
            SweepOutcome second = poller.sweep();
            assertEquals(1, commandsSent(server, QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, atNewest));
            assertEquals(1, elementReadsOf(server, BLK), "only there");
            QueueSample queue = byPath(second).get(BLK).getQueues().get(0);
            assertNotNull(queue.getElement(), "the stuck queue's element is in the sample");
            assertEquals(2, queue.getStatus().getInuse());
            // Still nothing completed a sweep later: the same slot is still in flight.
            poller.sweep();
            assertEquals(2, commandsSent(server, QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT, atNewest));
        }
    }

    @Test
    void expectedErrorsAreClassifiedIntoTheSampleAndDoNotFailTheSweep() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING)
                .answer(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(KBD, 1),
                        json("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Region caches not initialized\"}}"))
                .answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(NET), json("{\"error\": {\"class\": \"GenericError\", "
                        + "\"desc\": \"Path /machine/peripheral/net0/virtio-backend is not a realized VirtIODevice\"}}"))
                .answer(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(BLK, 0),
                        json("{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid virtqueue number 0\"}}"));
        try (TestQmpServer server = TestQmpServer.unix(replay)) {
            SweepOutcome outcome = sweepOnce(server);
            Map<String, VirtioSample> samples = byPath(assertInstanceOf(SweepOutcome.Completed.class, outcome));
            assertEquals(7, samples.size());
            assertError(samples.get(KBD), CommandErrorKind.REGION_CACHES_NOT_INITIALIZED, QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 1);
            assertNull(samples.get(KBD).getQueues().get(1).getStatus());
            assertNotNull(samples.get(KBD).getQueues().get(0).getStatus());
            VirtioSample net = samples.get(NET);
            assertError(net, CommandErrorKind.NOT_A_VIRTIO_DEVICE, QapiReader.X_QUERY_VIRTIO_STATUS, null);
            assertNull(net.getStatus());
            assertEquals(List.of(), net.getQueues(), "an unplugged device's queues are not asked for");
            assertError(samples.get(BLK), CommandErrorKind.INVALID_QUEUE, QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 0);
        }
    }

    @Test
    void aReplyThatDoesNotDecodeIsRecordedWithTheDecodersExplanation() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING);
        ObjectNode broken = (ObjectNode) replay.recorded(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(BLK, 0)).response().deepCopy();
        ((ObjectNode) broken.get("return")).put("inuse", "lots");
        replay.answer(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, args(BLK, 0), broken);
        try (TestQmpServer server = TestQmpServer.unix(replay)) {
            VirtioSample blk = byPath(sweepOnce(server)).get(BLK);
            CommandError error = assertError(blk, CommandErrorKind.DECODE_FAILED, QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 0);
            assertTrue(error.getDescription().contains("inuse") && error.getDescription().contains("lots"), error.getDescription());
            assertNull(blk.getQueues().get(0).getStatus());
            assertEquals(1, run.outcomes().snapshot().getDecodeFailures());
        }
    }

    @Test
    void aQueueCountBeyondVirtioQueueMaxIsCappedAndSaidSo() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING).answer(QapiReader.X_QUERY_VIRTIO, null, json(
                "{\"return\": [{\"name\": \"virtio-rng\", \"path\": \"/machine/peripheral/rng0/virtio-backend\"}]}"));
        JsonNode rng = args("/machine/peripheral/rng0/virtio-backend");
        ObjectNode status = (ObjectNode) replay.recorded(QapiReader.X_QUERY_VIRTIO_STATUS, rng).response().deepCopy();
        ((ObjectNode) status.get("return")).put("num-vqs", 1_000_000);
        replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, rng, status);
        try (TestQmpServer server = TestQmpServer.unix(replay)) {
            VirtioSample sample = sweepOnce(server).samples().get(0);
            assertEquals(VmPoller.MAX_QUEUES, sample.getQueues().size());
            CommandError error = assertError(sample, CommandErrorKind.DECODE_FAILED, QapiReader.X_QUERY_VIRTIO_STATUS, null);
            assertTrue(error.getDescription().contains("num-vqs = 1000000"), error.getDescription());
        }
    }

    @Test
    void aVmWithoutVirtioDevicesCompletesWithNoSamples() throws Exception {
        TranscriptReplay replay = TranscriptReplay.of(RUNNING).answer(QapiReader.X_QUERY_VIRTIO, null,
                json("{\"error\": {\"class\": \"GenericError\", \"desc\": \"No virtio devices found\"}}"));
        try (TestQmpServer server = TestQmpServer.unix(replay)) {
            assertEquals(new SweepOutcome.Completed(List.of()), sweepOnce(server));
        }
    }

    @Test
    void aQemuWithoutTheVirtioQueriesIsUnpollableAndIsNotAskedThem() throws Exception {
        TranscriptReplay qemu71 = TranscriptReplay.of(RUNNING).answer("query-commands", null,
                json("{\"return\": [{\"name\": \"query-status\"}, {\"name\": \"qmp_capabilities\"}, {\"name\": \"query-name\"}]}"));
        try (TestQmpServer server = TestQmpServer.unix(qemu71)) {
            SweepOutcome outcome = sweepOnce(server);
            SweepOutcome.Unpollable unpollable = assertInstanceOf(SweepOutcome.Unpollable.class, outcome);
            assertTrue(unpollable.reason().contains("x-query-virtio"), unpollable.reason());
            assertFalse(server.receivedCommandNames().contains(QapiReader.X_QUERY_VIRTIO));
        }
    }

    @Test
    void theRunStateFollowsStopAndResumeEvents() throws Exception {
        Transcript stopCont = Transcript.named("qemu-7.2-stop-cont-events.txt");
        List<JsonNode> stop = stopCont.exchanges().stream().filter(x -> x.execute().equals("stop")).findFirst().orElseThrow().events();
        List<JsonNode> resume = stopCont.exchanges().stream().filter(x -> x.execute().equals("cont")).findFirst().orElseThrow().events();
        TranscriptReplay replay = TranscriptReplay.of(RUNNING);
        TranscriptReplay.Scripted blkStatus = replay.recorded(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK));
        // STOP arrives after query-status said "running", while the device statuses are read.
        replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK), stop, blkStatus.response());
        try (TestQmpServer server = TestQmpServer.unix(replay);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, SweepPolicy.FULL, Clock.systemUTC())) {
            for (VirtioSample sample : poller.sweep().samples()) {
                assertEquals("paused", sample.getVmRunState());
                assertFalse(sample.getVmRunning());
            }
            replay.answer(QapiReader.X_QUERY_VIRTIO_STATUS, args(BLK), resume, blkStatus.response());
        }
        // The replay holds its answers per connection: a new connection sees the RESUME variant.
        try (TestQmpServer server = TestQmpServer.unix(replay);
                VmPoller poller = VmPoller.connect(server.endpoint(), CONFIG, run, SweepPolicy.FULL, Clock.systemUTC())) {
            for (VirtioSample sample : poller.sweep().samples()) {
                assertEquals("running", sample.getVmRunState());
                assertTrue(sample.getVmRunning());
            }
        }
    }

    @Test
    void aMonitorThatStopsAnsweringCostsTheSweepOneDeadline() throws Exception {
        QmpClientConfig quick = CONFIG.withCommandDeadline(Duration.ofMillis(300));
        TestQmpServer.Session answersIdentityThenHangs = client -> {
            client.handshake();
            for (int i = 0; i < 3; i++) {
                JsonNode command = client.readCommand().orElseThrow();
                client.reply(command, json(command.path("execute").asText().equals("query-commands")
                        ? "{\"return\": [{\"name\": \"x-query-virtio\"}, {\"name\": \"x-query-virtio-status\"}, "
                                + "{\"name\": \"x-query-virtio-queue-status\"}, {\"name\": \"x-query-virtio-vhost-queue-status\"}, "
                                + "{\"name\": \"x-query-virtio-queue-element\"}]}"
                        : "{\"return\": {}}"));
            }
            while (client.readCommand().isPresent()) {
                // hung
            }
        };
        try (TestQmpServer server = TestQmpServer.unix(answersIdentityThenHangs);
                VmPoller poller = VmPoller.connect(server.endpoint(), quick, run, SweepPolicy.FULL, Clock.systemUTC())) {
            SweepOutcome outcome = poller.sweep();
            assertInstanceOf(SweepOutcome.TimedOut.class, outcome);
            assertEquals(List.of("qmp_capabilities", "query-name", "query-uuid", "query-commands", "query-status", "x-query-virtio"),
                    server.receivedCommandNames(), "nothing more is sent once a phase timed out");
        }
    }

    static CommandError assertError(VirtioSample sample, CommandErrorKind kind, String command, Integer queue) {
        return sample.getErrors().stream()
                .filter(e -> e.getKind() == kind && e.getCommand().equals(command) && java.util.Objects.equals(e.getQueueIndex(), queue))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " for " + command + " queue " + queue + " in " + sample.getErrors()));
    }
}
