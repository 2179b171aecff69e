package dev.virtiofleet.launcher;

import dev.virtiofleet.sim.load.DirectKafkaLoad;
import dev.virtiofleet.sim.load.DirectLoadConfig;
import dev.virtiofleet.sim.load.LoadStats;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.scenario.HostPlan;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioReader;
import dev.virtiofleet.sim.scenario.ScenarioRun;
import dev.virtiofleet.sim.scenario.TimelineStep;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs simulated VMs that speak QMP on unix sockets, one socket directory per host, until
 * SIGTERM/Ctrl-C or {@code --duration}, applying the scenario's fault timeline as it comes due.
 */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = {"Run simulated QEMU 7.2 VMs (Linux guests) answering QMP on unix sockets: <socket-dir>/<host>/<vm>.qmp.",
                "The scenario's hosts, VMs and fault timeline are kept; --vms and --hosts grow the fleet with copies of its VMs.",
                "Runs until SIGTERM/Ctrl-C or --duration; prints each fault as the timeline applies it."})
final class SimCommand implements Callable<Integer> {
    private static final Duration TIMELINE_TICK = Duration.ofMillis(100);
    /** Closing the VMs' sockets is quick; a signal never waits on it for long. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(10);

    @Spec
    CommandSpec spec;

    @Option(names = "--scenario", defaultValue = "healthy", paramLabel = "FILE|NAME",
            description = "A scenario YAML file, or the name of a bundled one (default: ${DEFAULT-VALUE})")
    String scenario;

    @Option(names = "--vms", paramLabel = "N", description = "VMs in all (default: the scenario's count; at least that)")
    Optional<Integer> vms;

    @Option(names = "--hosts", paramLabel = "H", description = "Hosts, one socket directory each (default: the scenario's; at least that)")
    Optional<Integer> hosts;

    @Option(names = "--seed", paramLabel = "S", description = "Seed the VM UUIDs derive from (default: the scenario's seed)")
    Optional<Long> seed;

    @Option(names = "--socket-dir", required = true, paramLabel = "DIR", description = "Where the hosts' socket directories go")
    Path socketDir;

    @Mixin
    RunFor runFor;

    @Option(names = "--direct-kafka", paramLabel = "BOOTSTRAP", description = "Also publish the VMs' samples straight to Kafka "
            + "(topic virtio.samples, keyed and serialized as the agent does, without QMP), e.g. localhost:9092")
    Optional<String> directKafka;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "SAMPLES_PER_S",
            description = "--direct-kafka: samples per second over the whole fleet; 0 for as fast as possible (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--direct-threads", defaultValue = "1", paramLabel = "T",
            description = "--direct-kafka: sweeping threads, 1..64 (default: ${DEFAULT-VALUE})")
    int directThreads;

    @Override
    public Integer call() throws Exception {
        Optional<DirectLoadConfig> directLoad = directKafka.map(this::directLoadConfig);
        Scenario plan = ScenarioChoice.scaled(ScenarioChoice.load(scenario), scenario, hosts, vms, seed);
        Files.createDirectories(socketDir);
        PrintWriter out = spec.commandLine().getOut();
        ScheduledExecutorService timeline = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("virtio-fleet-sim-timeline").daemon().factory());
        try (StopSignal signal = StopSignal.install("sim", SHUTDOWN_GRACE)) {
            try (ScenarioRun run = ScenarioRun.start(plan, socketDir, InstantSource.system())) {
                printSockets(out, plan);
                out.printf("sim: %d VMs on %d hosts running%s; seed %d%n", plan.vmCount(), plan.hosts().size(),
                        runFor.describe(), plan.seed());
                out.flush();
                run.runTimelineOn(timeline, TIMELINE_TICK, step -> report(out, step));
                Optional<DirectKafkaLoad> load = directLoad.map(config -> startLoad(run, config, out));
                try {
                    signal.await(runFor.duration());
                } finally {
                    load.ifPresent(l -> {
                        l.close();
                        LoadStats stats = l.stats();
                        out.printf("sim: direct-kafka sent %d samples, %d acknowledged, %d failed%s%n", stats.sent(),
                                stats.acknowledged(), stats.failed(), stats.lastFailure().map(f -> " (last: " + f + ")").orElse(""));
                    });
                }
            } finally {
                timeline.shutdownNow();
                timeline.awaitTermination(5, TimeUnit.SECONDS);
            }
            out.println("sim: stopped; sockets removed");
            out.flush();
        }
        return VirtioFleet.EXIT_OK;
    }

    private DirectLoadConfig directLoadConfig(String bootstrap) {
        try {
            return DirectLoadConfig.of(bootstrap, rate).withThreads(directThreads);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--direct-kafka " + bootstrap + " --rate " + rate + " --direct-threads "
                    + directThreads + ": " + e.getMessage(), e);
        }
    }

    private static DirectKafkaLoad startLoad(ScenarioRun run, DirectLoadConfig config, PrintWriter out) {
        Map<String, List<SimulatedVm>> hosts = new LinkedHashMap<>();
        run.hostNames().forEach(host -> hosts.put(host, run.host(host).vms()));
        DirectKafkaLoad load;
        try {
            load = new DirectKafkaLoad(hosts, config, InstantSource.system());
        } catch (DirectKafkaLoad.KafkaUnavailableException e) {
            throw new ServiceUnreachableException(e.getMessage(), e);
        }
        load.start();
        out.printf("sim: publishing samples to %s at %s%n", config.topic() + "@" + config.bootstrapServers(),
                config.samplesPerSecond() == 0 ? "full speed" : config.samplesPerSecond() + " samples/s");
        out.flush();
        return load;
    }



    private void printSockets(PrintWriter out, Scenario plan) {
        for (HostPlan host : plan.hosts()) {
            out.printf("host %s: %d VMs, sockets %s/<vm>.qmp (first: %s.qmp)%n", host.name(), host.vms().size(),
                    socketDir.resolve(host.name()).toAbsolutePath(), host.vms().getFirst().spec().name());
        }
    }

    private static void report(PrintWriter out, TimelineStep step) {
        out.println("sim: " + step);
        out.flush();
    }
}
