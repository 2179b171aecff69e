package dev.virtiofleet.launcher.demo;

import dev.virtiofleet.agent.runtime.Agent;
import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.launcher.Version;
import dev.virtiofleet.launcher.topics.TopicReconciler;
import dev.virtiofleet.qemu.RealQemuGuest;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioRun;
import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import dev.virtiofleet.topics.FleetTopics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;

/**
 * The whole pipeline in one process, on real parts: a Kafka broker (in-process KRaft unless an
 * existing cluster is given), the topics, simulated hypervisors whose VMs speak QMP on unix
 * sockets, one agent per simulated host polling them, the detection application, and the live
 * view. Everything started is closed in reverse order.
 */
final class DemoPipeline implements AutoCloseable {

    /** What the demo runs against and how fast it judges. */
    record Settings(Scenario scenario, Optional<String> bootstrapServers, Path workDir, Path socketBase,
            Duration pollInterval, Duration stallThreshold, short replicationFactor, boolean realGuest,
            Optional<LocalPrometheus.Installation> prometheus) {}

    /** When, after the real guest is up, its disk backend hangs and comes back. */
    static final Duration REAL_HANG_AT = Duration.ofSeconds(45);
    static final Duration REAL_RECOVERY_AT = Duration.ofSeconds(135);
    static final String REAL_HOST = "qemu-01";

    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private final PrintStream out;
    private Optional<LocalPrometheus> prometheus = Optional.empty();

    private DemoPipeline(PrintStream out) {
        this.out = out;
    }

    static DemoPipeline start(Settings settings, PrintStream out) throws Exception {
        DemoPipeline pipeline = new DemoPipeline(out);
        try {
            pipeline.startAll(settings);
            return pipeline;
        } catch (Exception e) {
            pipeline.close();
            throw e;
        }
    }

    private void startAll(Settings settings) throws Exception {
        String bootstrap;
        if (settings.bootstrapServers().isPresent()) {
            bootstrap = settings.bootstrapServers().get();
            out.println("kafka:   using the cluster at " + bootstrap);
        } else {
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(settings.workDir().resolve("kafka"));
            started.push(broker);
            bootstrap = broker.bootstrapServers();
            out.println("kafka:   " + broker.description());
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicReconciler(admin).apply(FleetTopics.all(), settings.replicationFactor(), false);
        }
        out.println("topics:  " + FleetTopics.all().stream().map(t -> t.name()).toList());

        ScenarioRun simulation = ScenarioRun.start(settings.scenario(), settings.socketBase(), InstantSource.system());
        started.push(simulation);
        ScheduledExecutorService timeline = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                .name("demo-timeline").daemon(true).unstarted(r));
        started.push(timeline::shutdownNow);
        simulation.runTimelineOn(timeline, Duration.ofSeconds(1), step -> out.println("scenario: " + step));
        int vms = simulation.hostNames().stream().mapToInt(h -> simulation.host(h).vms().size()).sum();
        out.println("sim:     " + simulation.hostNames().size() + " hosts, " + vms + " VMs, QMP sockets under " + settings.socketBase());

        Map<String, String> agentMetrics = new LinkedHashMap<>();
        for (String host : simulation.hostNames()) {
            Agent agent = Agent.start(AgentConfig.parse(agentYaml(host, settings, bootstrap), "demo agent for " + host), Version.current());
            started.push(agent);
            agent.metricsAddress().ifPresent(address -> agentMetrics.put(host, "127.0.0.1:" + address.getPort()));
        }
        if (settings.realGuest()) {
            startRealGuest(settings, bootstrap, timeline, agentMetrics);
        }
        out.println("agents:  one per host, polling every " + settings.pollInterval().toMillis() + " ms; metrics "
                + agentMetrics.values().stream().map(a -> "http://" + a + "/metrics").toList());

        DetectionApplication detection = new DetectionApplication(StreamsAppConfig.fromProperties(streamsProperties(settings, bootstrap)));
        started.push(detection);
        detection.start();
        String rest = "http://127.0.0.1:" + detection.restPort();
        out.println("streams: REST " + rest + "/alerts (also /devices, /summary, /drift), metrics " + rest + "/metrics");

        if (settings.prometheus().isPresent()) {
            LocalPrometheus server = LocalPrometheus.start(settings.prometheus().get(), settings.workDir().resolve("prometheus"),
                    agentMetrics, "127.0.0.1:" + detection.restPort());
            started.push(server);
            prometheus = Optional.of(server);
            out.println("prometheus: " + server.url() + " (rules " + settings.prometheus().get().ruleFiles().getFirst().getParent()
                    + ", scraping every " + LocalPrometheus.INTERVAL.toSeconds() + " s)");
        }

        LiveView view = new LiveView(bootstrap, out, Duration.ofSeconds(10));
        started.push(view);
        view.start();
    }

    /** The local Prometheus, when the demo was asked for one. */
    Optional<LocalPrometheus> prometheus() {
        return prometheus;
    }

    /**
     * A real QEMU with a real Linux guest as one more host, its disk served by qemu-nbd: the hang
     * is real (SIGSTOP to qemu-nbd), not simulated, and so is the recovery (SIGCONT).
     */
    private void startRealGuest(Settings settings, String bootstrap, ScheduledExecutorService timeline, Map<String, String> agentMetrics)
            throws Exception {
        out.println("qemu:    booting a real Linux guest under TCG (the first time builds it from Debian packages) ...");
        RealQemuGuest guest = RealQemuGuest.boot(Optional.of(new RealQemuGuest.Identity("real-guest",
                UUID.nameUUIDFromBytes("virtio-fleet demo real guest".getBytes(StandardCharsets.UTF_8)))));
        started.push(guest);
        out.println("qemu:    " + REAL_HOST + "/real-guest up, QMP at " + guest.qmpSocket() + "; its disk backend hangs in "
                + REAL_HANG_AT.toSeconds() + " s and recovers " + (REAL_RECOVERY_AT.toSeconds() - REAL_HANG_AT.toSeconds()) + " s later");
        Agent agent = Agent.start(AgentConfig.parse(agentYaml(REAL_HOST, guest.qmpSocket().toString(), settings, bootstrap),
                "demo agent for " + REAL_HOST), Version.current());
        started.push(agent);
        agent.metricsAddress().ifPresent(address -> agentMetrics.put(REAL_HOST, "127.0.0.1:" + address.getPort()));
        timeline.schedule(() -> signalDisk(guest, true), REAL_HANG_AT.toMillis(), TimeUnit.MILLISECONDS);
        timeline.schedule(() -> signalDisk(guest, false), REAL_RECOVERY_AT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void signalDisk(RealQemuGuest guest, boolean hang) {
        try {
            if (hang) {
                guest.pauseDiskBackend();
                out.println("qemu:    kill -STOP qemu-nbd: " + REAL_HOST + "/real-guest's disk backend hangs");
            } else {
                guest.resumeDiskBackend();
                out.println("qemu:    kill -CONT qemu-nbd: " + REAL_HOST + "/real-guest's disk backend runs again");
            }
        } catch (IOException e) {
            out.println("qemu:    could not signal qemu-nbd: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String agentYaml(String host, Settings settings, String bootstrap) {
        return agentYaml(host, settings.socketBase().resolve(host) + "/*.qmp", settings, bootstrap);
    }

    private static String agentYaml(String host, String socketGlob, Settings settings, String bootstrap) {
        Path spool = settings.workDir().resolve("spool").resolve(host);
        return String.join("\n",
                "host-id: " + host,
                "discovery:",
                "  socket-globs: ['" + socketGlob + "']",
                "poll:",
                "  interval: " + settings.pollInterval().toMillis() + "ms",
                "publish:",
                "  spool-dir: '" + spool + "'",
                "metrics:",
                "  listen: 127.0.0.1:0",
                "kafka:",
                "  bootstrap.servers: '" + bootstrap + "'",
                "");
    }

    private static Map<String, String> streamsProperties(Settings settings, String bootstrap) throws IOException {
        Map<String, String> props = new LinkedHashMap<>();
        props.put("bootstrap-servers", bootstrap);
        props.put("application-id", "virtio-fleet-demo");
        props.put("state-dir", Files.createDirectories(settings.workDir().resolve("streams-state")).toString());
        props.put("rest.listen", "127.0.0.1:0");
        String threshold = settings.stallThreshold().toMillis() + "ms";
        for (String rule : List.of("queue-stalled", "notification-lost", "completion-not-signalled")) {
            props.put("detect.rules." + rule + ".fire-after", threshold);
            props.put("detect.rules." + rule + ".resolve-after", threshold);
        }
        props.put("detect.rules.device-broken.resolve-after", threshold);
        props.put("detect.device-gone-after", settings.pollInterval().multipliedBy(6).toMillis() + "ms");
        return props;
    }

    @Override
    public void close() {
        List<Exception> failures = new ArrayList<>();
        while (!started.isEmpty()) {
            try {
                started.pop().close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                failures.add(e);
            }
        }
        failures.forEach(e -> out.println("demo: while stopping: " + e));
    }
}
