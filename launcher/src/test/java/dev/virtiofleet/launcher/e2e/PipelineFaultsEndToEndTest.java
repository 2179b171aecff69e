package dev.virtiofleet.launcher.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import dev.virtiofleet.topics.DeviceKey;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults in the pipeline itself, at chosen moments of a scenario ({@code e2e/pipeline-faults.yaml}):
 * while a queue-stalled and a device-broken episode are open, the streams application is stopped
 * and started again, the broker is stopped for several poll intervals and brought back on its data,
 * and the agent of one host is restarted (a new agent run); then the devices recover.
 *
 * <p>What is asserted, precisely:
 * <ul>
 *   <li>Samples: for every agent run, the agent sequences on virtio.samples are exactly
 *       {@code 0..lastSequence} of that run's final heartbeat, each exactly once, and per device in
 *       increasing order. Exactly once holds here because the producer is idempotent with an
 *       unbounded delivery timeout: retries across the broker outage are de-duplicated by the
 *       broker, and each agent is stopped while the broker is up, so nothing unacknowledged is
 *       spooled for a resend. (A record written but unacknowledged when an agent closes would be
 *       resent by the next run, a duplicate idempotence does not cover; this test does not provoke
 *       that and would report it as a failure.)</li>
 *   <li>Alerts: every alert id on virtio.alerts (read_committed) has exactly one FIRING followed by
 *       one RESOLVED, and both device faults produced at least one such episode.</li>
 * </ul>
 */
@ExtendWith(KafkaBrokerExtension.class)
class PipelineFaultsEndToEndTest {
    private static final Duration POLL = Duration.ofSeconds(1);
    private static final String HV1 = "pf.hv-01";
    private static final String HV2 = "pf.hv-02";

    @Test
    void restartingStreamsBrokerAndAgentLosesNoSampleAndSplitsNoEpisode(KafkaBroker broker, @TempDir Path work) throws Exception {
        long t0 = System.nanoTime();
        try (Pipeline pipeline = Pipeline.start(broker, work, "faults", EveryAlertKindEndToEndTest.DETECT)) {
            pipeline.simulate(Episodes.scenario("pipeline-faults"), POLL);
            pipeline.awaitHealthOfEveryVm();
            pipeline.applyThrough(Duration.ofSeconds(10));
            awaitAlert(pipeline, AlertKind.QUEUE_STALLED, HV1, "db-1", "blk0", 0, AlertState.FIRING);
            awaitAlert(pipeline, AlertKind.DEVICE_BROKEN, HV2, "app-2", "blk0", null, AlertState.FIRING);
            System.out.printf("[e2e] both episodes firing after %.1f s%n", (System.nanoTime() - t0) / 1e9);

            // 1. The streams application goes away for a few poll cycles and comes back on its state.
            pipeline.stopStreams();
            awaitSweeps(pipeline, 3);
            long restart = System.nanoTime();
            pipeline.startStreams();
            System.out.printf("[e2e] streams restarted (running again after %.1f s)%n", (System.nanoTime() - restart) / 1e9);

            // 2. The broker goes down for several poll cycles; agents keep polling and hold their samples.
            broker.stop();
            long down = System.nanoTime();
            awaitSweeps(pipeline, 4);
            broker.start();
            System.out.printf("[e2e] broker down for %.1f s, then back on its data%n", (System.nanoTime() - down) / 1e9);

            // 3. The agent of the stalled VM's host restarts: a new agent run with its own sequence.
            pipeline.restartAgent(HV1);
            awaitSweeps(pipeline, 2);

            pipeline.applyThrough(Duration.ofSeconds(20));
            awaitAlert(pipeline, AlertKind.QUEUE_STALLED, HV1, "db-1", "blk0", 0, AlertState.RESOLVED);
            awaitAlert(pipeline, AlertKind.DEVICE_BROKEN, HV2, "app-2", "blk0", null, AlertState.RESOLVED);
            await("every alert resolved").atMost(Pipeline.PATIENCE).until(() -> Episodes.allResolved(pipeline.alerts().values()));
            Instant settled = Instant.now().plus(POLL.multipliedBy(2));
            await("two more cycles of every VM processed").atMost(Pipeline.PATIENCE).until(() -> {
                Map<String, List<DeviceHealth>> byVm = pipeline.healthByVm();
                return pipeline.scenarioVms().stream().allMatch(vm -> byVm.getOrDefault(vm, List.of()).stream()
                        .anyMatch(h -> h.getLastSampleTime().isAfter(settled)));
            });

            List<Pipeline.AgentRunSummary> runs = pipeline.stopAllAgents();
            long made = runs.stream().mapToLong(r -> r.lastSequence() + 1).sum();
            List<VirtioSample> samples = pipeline.readAllSamples(made);
            List<VirtioAlert> alerts = pipeline.alerts().values();
            System.out.printf("[e2e] agent runs %s: %d samples made, %d on %s; alerts:%s%n", runs, made, samples.size(),
                    pipeline.samplesTopic(), Episodes.describe(alerts));
            System.out.printf("[e2e] pipeline-fault scenario done in %.1f s%n", (System.nanoTime() - t0) / 1e9);

            assertEquals(2, runs.stream().filter(r -> r.host().equals(HV1)).count(), "pf.hv-01's agent ran twice: " + runs);
            assertEquals(1, runs.stream().filter(r -> r.host().equals(HV2)).count(), runs.toString());
            Map<String, List<VirtioSample>> byRun = samples.stream().collect(Collectors.groupingBy(VirtioSample::getAgentRunId));
            assertEquals(runs.stream().map(Pipeline.AgentRunSummary::runId).collect(Collectors.toSet()), byRun.keySet(),
                    "samples of exactly these agent runs");
            for (Pipeline.AgentRunSummary run : runs) {
                List<Long> sequences = byRun.get(run.runId()).stream().map(VirtioSample::getAgentSequence).sorted().toList();
                List<Long> expected = LongStream.rangeClosed(0, run.lastSequence()).boxed().toList();
                assertEquals(expected.size(), sequences.size(), run + ": every sample made arrived exactly once");
                assertEquals(expected, sequences, run + ": no sequence lost or duplicated");
                // A device's samples are in one partition, in the order the agent made them.
                Map<String, List<Long>> perDevice = byRun.get(run.runId()).stream().collect(Collectors.groupingBy(
                        s -> DeviceKey.of(s).asString(), Collectors.mapping(VirtioSample::getAgentSequence, Collectors.toList())));
                perDevice.forEach((device, order) -> assertEquals(order.stream().sorted().toList(), order, device + " in order"));
            }
            assertEquals(made, samples.size(), "nothing but those samples");

            assertEquals(List.of(), Episodes.notOneFiringOneResolved(alerts), "every episode one FIRING and one RESOLVED");
            assertFalse(Episodes.about(alerts, AlertKind.QUEUE_STALLED, HV1, "db-1", "blk0", 0).isEmpty());
            assertFalse(Episodes.about(alerts, AlertKind.DEVICE_BROKEN, HV2, "app-2", "blk0", null).isEmpty());
            List<String> kinds = new ArrayList<>(alerts.stream().map(a -> a.getKind().name()).distinct().toList());
            assertTrue(kinds.stream().allMatch(k -> List.of("QUEUE_STALLED", "DEVICE_BROKEN", "AGENT_SILENT").contains(k)),
                    "only the injected faults, and agent silence while the broker was down, alert: " + kinds);
        }
    }

    private static void awaitAlert(Pipeline pipeline, AlertKind kind, String host, String vm, String device, Integer queue,
            AlertState state) {
        await(kind + " " + state + " on " + host + "/" + vm).atMost(Pipeline.PATIENCE).pollInterval(Duration.ofMillis(200))
                .until(() -> Episodes.about(pipeline.alerts().values(), kind, host, vm, device, queue).stream()
                        .anyMatch(a -> a.getState() == state));
    }

    /** Waits until every running agent has made {@code sweeps} more sweeps' worth of samples. */
    private static void awaitSweeps(Pipeline pipeline, int sweeps) {
        for (String host : List.of(HV1, HV2)) {
            LongSupplier made = () -> pipeline.agent(host).heartbeat().getLastSampleSequence();
            long from = made.getAsLong();
            // Each sweep of three VMs with seven devices makes 21 samples.
            await(host + " makes " + sweeps + " more sweeps").atMost(Pipeline.PATIENCE).pollInterval(Duration.ofMillis(100))
                    .until(() -> made.getAsLong() - from >= sweeps * 21L);
        }
    }
}
