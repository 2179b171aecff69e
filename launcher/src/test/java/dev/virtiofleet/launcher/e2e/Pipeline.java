package dev.virtiofleet.launcher.e2e;

import static org.awaitility.Awaitility.await;

import dev.virtiofleet.agent.runtime.Agent;
import dev.virtiofleet.agent.publish.PublisherConfig;
import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.launcher.topics.TopicReconciler;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioRun;
import dev.virtiofleet.sim.scenario.TimelineStep;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import dev.virtiofleet.topics.FleetTopics;
import dev.virtiofleet.topics.TopicSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The whole pipeline on real parts, for end-to-end tests: topics on a real broker (the production
 * specs of {@link FleetTopics}, applied by {@link TopicReconciler}, under a per-pipeline name prefix
 * so tests sharing a broker never see each other's records), the detection application, simulated
 * hosts whose VMs speak QMP on unix sockets, one real {@link Agent} per host, and read_committed
 * readers of the alert and health topics.
 *
 * <p>A scenario's timeline is advanced by the test, not by the wall clock: {@link #applyThrough}
 * applies every step up to a given {@code at}, so a test injects once the fleet is seen and
 * recovers once the alert has fired, however slow the machine is. {@link #close} stops everything
 * it started, in reverse order, and deletes its socket directory.
 */
final class Pipeline implements AutoCloseable {
    private static final FleetSerdes SERDES = FleetSerdes.singleObject();
    static final Duration PATIENCE = Duration.ofSeconds(120);

    /** One finished agent run: what it said it made, from its last heartbeat. */
    record AgentRunSummary(String host, String runId, long lastSequence) {}

    private final KafkaBroker broker;
    private final Path workDir;
    private final String prefix;
    private final Map<String, String> streamsProperties;
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final Map<String, Agent> agents = new ConcurrentHashMap<>();
    private final Map<String, String> agentGlobs = new ConcurrentHashMap<>();
    private final List<AgentRunSummary> finishedRuns = new ArrayList<>();
    private TopicLog<VirtioAlert> alerts;
    private TopicLog<DeviceHealth> health;
    private Duration pollInterval = Duration.ofSeconds(1);
    private DetectionApplication streams;
    private int streamsGeneration;
    private ScenarioRun simulation;
    private Scenario scenario;
    private Path socketBase;
    private int nextStep;

    private Pipeline(KafkaBroker broker, Path workDir, String name, Map<String, String> detect) {
        this.broker = broker;
        this.workDir = workDir;
        this.prefix = name + "-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        Map<String, String> props = new LinkedHashMap<>();
        props.put("bootstrap-servers", broker.bootstrapServers());
        props.put("application-id", "e2e-" + prefix.replace(".", ""));
        props.put("rest.listen", "127.0.0.1:0");
        props.put("commit-interval", "100ms");
        props.put("topics.samples", samplesTopic());
        props.put("topics.heartbeats", prefix + FleetTopics.HEARTBEATS.name());
        props.put("topics.alerts", prefix + FleetTopics.ALERTS.name());
        props.put("topics.health", prefix + FleetTopics.HEALTH.name());
        props.put("topics.dead-letters", prefix + FleetTopics.SAMPLES_DLQ.name());
        // These tests read virtio.health as the log of every judged sample (progress markers, per-sample
        // ring positions), so every sample is published; the default publishes changes and renewals
        // only (HealthPublishingTopologyTest in streams).
        props.put("detect.health-refresh-after", "0s");
        detect.forEach((key, value) -> props.put("detect." + key, value));
        this.streamsProperties = props;
    }

    /**
     * Creates the topics, starts the detection application with {@code detect.*} settings and
     * waits until it runs; simulated hosts or agents are added with {@link #simulate} and {@link #startAgent}.
     */
    static Pipeline start(KafkaBroker broker, Path workDir, String name, Map<String, String> detect) throws Exception {
        Pipeline pipeline = new Pipeline(broker, workDir, name, detect);
        try {
            pipeline.applyTopics();
            pipeline.alerts = new TopicLog<>(broker.bootstrapServers(), pipeline.prefix + FleetTopics.ALERTS.name(),
                    FleetTopics.ALERTS.partitions(), SERDES.alert().deserializer()::deserialize);
            pipeline.started.push(pipeline.alerts);
            pipeline.health = new TopicLog<>(broker.bootstrapServers(), pipeline.prefix + FleetTopics.HEALTH.name(),
                    FleetTopics.HEALTH.partitions(), SERDES.health().deserializer()::deserialize);
            pipeline.started.push(pipeline.health);
            pipeline.startStreams();
            return pipeline;
        } catch (Exception | Error e) {
            pipeline.close();
            throw e;
        }
    }

    private void applyTopics() throws Exception {
        List<TopicSpec> specs = FleetTopics.all().stream()
                .map(spec -> new TopicSpec(prefix + spec.name(), spec.partitions(), spec.configs(), spec.purpose()))
                .toList();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            new TopicReconciler(admin).apply(specs, (short) 1, false);
        }
    }

    String samplesTopic() {
        return prefix + FleetTopics.SAMPLES.name();
    }

    /** Starts (or, after {@link #stopStreams}, restarts on the same state directory) the detection application. */
    void startStreams() throws Exception {
        Map<String, String> props = new LinkedHashMap<>(streamsProperties);
        props.put("state-dir", Files.createDirectories(workDir.resolve("streams-state")).toString());
        DetectionApplication application = new DetectionApplication(StreamsAppConfig.fromProperties(props));
        streams = application;
        streamsGeneration++;
        application.start();
        await("detection application running").atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
                .until(() -> application.state() == KafkaStreams.State.RUNNING);
    }

    /** Closes the detection application (a clean shutdown: it commits and leaves its group). */
    void stopStreams() {
        if (streams != null) {
            streams.close();
            streams = null;
        }
    }

    /** Starts the scenario's simulated hosts and one agent per host, polling every {@code interval}. */
    void simulate(Scenario planned, Duration interval) throws IOException {
        this.scenario = planned;
        this.pollInterval = interval;
        // Unix socket paths are limited to 107 bytes: keep them short, under /tmp.
        this.socketBase = Files.createTempDirectory(Path.of("/tmp"), "vf-e2e-");
        this.simulation = ScenarioRun.start(planned, socketBase, InstantSource.system());
        for (String host : simulation.hostNames()) {
            startAgent(host, socketBase.resolve(host) + "/*.qmp", interval);
        }
    }

    ScenarioRun simulation() {
        return simulation;
    }

    SimulatedVm vm(String host, String vm) {
        return simulation.host(host).vm(vm);
    }

    /** Every {@code host/vm} of the scenario. */
    Set<String> scenarioVms() {
        return scenario.hosts().stream()
                .flatMap(h -> h.vms().stream().map(vm -> h.name() + "/" + vm.spec().name()))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    /** Applies, in order, every timeline step whose {@code at} is not after {@code at}; returns them. */
    List<TimelineStep> applyThrough(Duration at) {
        List<TimelineStep> applied = new ArrayList<>();
        List<TimelineStep> timeline = scenario.timeline();
        while (nextStep < timeline.size() && timeline.get(nextStep).at().compareTo(at) <= 0) {
            TimelineStep step = timeline.get(nextStep++);
            SimulatedVm target = vm(step.host(), step.vm());
            if (step.inject()) {
                step.fault().inject(target);
            } else {
                step.fault().recover(target);
            }
            System.out.println("[e2e] scenario step: " + step.description() + (step.inject() ? " (inject)" : " (recover)"));
            applied.add(step);
        }
        return applied;
    }

    /** Starts an agent for {@code host} that discovers the monitors matching {@code socketGlob}. */
    Agent startAgent(String host, String socketGlob, Duration interval) throws IOException {
        if (agents.containsKey(host)) {
            throw new IllegalStateException("an agent for " + host + " already runs");
        }
        agentGlobs.put(host, socketGlob);
        Path spool = workDir.resolve("spool").resolve(host);
        String yaml = String.join("\n",
                "host-id: " + host,
                "discovery:",
                "  socket-globs: ['" + socketGlob + "']",
                "poll:",
                "  interval: " + interval.toMillis() + "ms",
                // Idle probes make a lost kick visible. Simulated rings only: on real QEMU an element read of an
                // idle queue can mark the device broken (see SweepPolicy), so the real guest's agent runs without.
                "  idle-probe-every: " + (socketBase != null && socketGlob.startsWith(socketBase.toString()) ? 3 : 0),
                "publish:",
                "  topic: " + samplesTopic(),
                "  spool-dir: '" + spool + "'",
                "  close-timeout: 30s",
                "  commit-interval: 100ms", // the latency bounds here allow for the streams commit, not for this too
                "heartbeat:",
                "  topic: " + prefix + FleetTopics.HEARTBEATS.name(),
                "metrics:",
                "  enabled: false",
                "kafka:",
                "  bootstrap.servers: '" + broker.bootstrapServers() + "'",
                "  transactional.id: " + prefix + PublisherConfig.transactionalIdOf(host), // tests share a broker
                "");
        Agent agent = Agent.start(AgentConfig.parse(yaml, "e2e agent for " + host), "e2e");
        agents.put(host, agent);
        return agent;
    }

    /** Starts the agent of {@code host} again (a new agent run) with the same settings. */
    Agent restartAgent(String host) throws Exception {
        stopAgent(host);
        return startAgent(host, agentGlobs.get(host), pollInterval);
    }

    /** Stops the agent of {@code host} cleanly (it delivers what it made) and records its run. */
    AgentRunSummary stopAgent(String host) throws IOException, InterruptedException {
        Agent agent = agents.remove(host);
        if (agent == null) {
            throw new IllegalStateException("no agent runs for " + host);
        }
        agent.close();
        AgentHeartbeat last = agent.heartbeat();
        AgentRunSummary run = new AgentRunSummary(host, last.getAgentRunId(), last.getLastSampleSequence());
        synchronized (finishedRuns) {
            finishedRuns.add(run);
        }
        return run;
    }

    /** The socket glob the agent of {@code host} was started with. */
    String socketGlob(String host) {
        return agentGlobs.get(host);
    }

    Agent agent(String host) {
        return agents.get(host);
    }

    /** Stops every running agent; returns every agent run this pipeline had. */
    List<AgentRunSummary> stopAllAgents() throws IOException, InterruptedException {
        for (String host : List.copyOf(agents.keySet())) {
            stopAgent(host);
        }
        synchronized (finishedRuns) {
            return List.copyOf(finishedRuns);
        }
    }

    TopicLog<VirtioAlert> alerts() {
        return alerts;
    }

    TopicLog<DeviceHealth> health() {
        return health;
    }

    KafkaBroker broker() {
        return broker;
    }

    DetectionApplication streams() {
        return streams;
    }

    /** Every sample on the samples topic, read to its end by a fresh reader. */
    List<VirtioSample> readAllSamples(long atLeast) {
        try (TopicLog<VirtioSample> samples = new TopicLog<>(broker.bootstrapServers(), samplesTopic(),
                FleetTopics.SAMPLES.partitions(), SERDES.sample().deserializer()::deserialize)) {
            await("at least " + atLeast + " samples on " + samplesTopic()).atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                    .until(() -> samples.entries().size() >= atLeast);
            // Then whatever else is there: the count must stop growing (duplicates would show here).
            int[] seen = {-1};
            await("the samples topic read to its end").atMost(PATIENCE).pollDelay(Duration.ofSeconds(1))
                    .pollInterval(Duration.ofSeconds(1)).until(() -> {
                        int now = samples.entries().size();
                        boolean quiet = now == seen[0];
                        seen[0] = now;
                        return quiet;
                    });
            return samples.values();
        }
    }

    /** Health records seen so far, by {@code host/vm}. */
    Map<String, List<DeviceHealth>> healthByVm() {
        return health.values().stream().collect(Collectors.groupingBy(h -> h.getHostId() + "/" + h.getVmName()));
    }

    /** Waits until the detection application has published health for every VM of the scenario. */
    void awaitHealthOfEveryVm() {
        Set<String> expected = scenarioVms();
        await("health records of all " + expected.size() + " VMs").atMost(PATIENCE).pollInterval(Duration.ofMillis(250))
                .until(() -> healthByVm().keySet().containsAll(expected));
    }

    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (String host : List.copyOf(agents.keySet())) {
            try {
                stopAgent(host);
            } catch (Exception e) {
                failures.add(e);
            }
        }
        stopStreams();
        if (simulation != null) {
            simulation.close();
        }
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        if (socketBase != null) {
            try (Stream<Path> files = Files.walk(socketBase)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                failures.add(e);
            }
        }
        failures.forEach(e -> System.out.println("[e2e] while stopping the pipeline: " + e));
    }
}
