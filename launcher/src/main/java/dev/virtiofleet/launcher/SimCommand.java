package dev.virtiofleet.launcher;

import dev.virtiofleet.sim.load.DirectKafkaLoad;
import dev.virtiofleet.sim.load.DirectLoadConfig;
import dev.virtiofleet.sim.load.LoadStats;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.scenario.BundledScenarios;
import dev.virtiofleet.sim.scenario.FleetScaling;
import dev.virtiofleet.sim.scenario.HostPlan;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioException;
import dev.virtiofleet.sim.scenario.ScenarioReader;
import dev.virtiofleet.sim.scenario.ScenarioRun;
import dev.virtiofleet.sim.scenario.TimelineStep;
import java.io.IOException;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
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

    @Option(names = "--duration", paramLabel = "D", description = "Stop after this long, e.g. " + ScenarioReader.DURATION_EXAMPLES
            + " (default: run until SIGTERM/Ctrl-C)")
    Optional<String> duration;

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
        Optional<Duration> runFor = duration.map(SimCommand::positiveDuration);
        Optional<DirectLoadConfig> directLoad = directKafka.map(this::directLoadConfig);
        Scenario plan = scaled(loadScenario());
        Files.createDirectories(socketDir);
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread onSignal = new Thread(() -> {
            stop.countDown();
            awaitQuietly(stopped);
        }, "virtio-fleet-sim-shutdown");
        Runtime.getRuntime().addShutdownHook(onSignal);
        ScheduledExecutorService timeline = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("virtio-fleet-sim-timeline").daemon().factory());
        try (ScenarioRun run = ScenarioRun.start(plan, socketDir, InstantSource.system())) {
            printSockets(out, plan);
            out.printf("sim: %d VMs on %d hosts running%s; seed %d%n", plan.vmCount(), plan.hosts().size(),
                    runFor.map(d -> " for " + d.toString().substring(2).toLowerCase()).orElse(" until SIGTERM/Ctrl-C"), plan.seed());
            out.flush();
            run.runTimelineOn(timeline, TIMELINE_TICK, step -> report(out, step));
            Optional<DirectKafkaLoad> load = directLoad.map(config -> startLoad(run, config, out));
            try {
                if (runFor.isPresent()) {
                    stop.await(runFor.get().toMillis(), TimeUnit.MILLISECONDS);
                } else {
                    stop.await();
                }
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
            stopped.countDown();
            removeHook(onSignal);
        }
        out.println("sim: stopped; sockets removed");
        out.flush();
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

    private Scenario loadScenario() throws IOException {
        try {
            if (BundledScenarios.names().contains(scenario)) {
                return BundledScenarios.load(scenario);
            }
            Path file = Path.of(scenario);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--scenario " + scenario + " is neither a file nor a bundled scenario; bundled: "
                        + BundledScenarios.names());
            }
            return new ScenarioReader().read(file);
        } catch (ScenarioException e) {
            throw new IllegalArgumentException("--scenario " + scenario + " is invalid: " + String.join("; ", e.problems()), e);
        }
    }

    private Scenario scaled(Scenario written) {
        int hostCount = hosts.orElse(written.hosts().size());
        int vmCount = vms.orElse(Math.max(written.vmCount(), hostCount));
        try {
            return new FleetScaling(hostCount, vmCount, seed.orElse(written.seed())).apply(written);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot run scenario " + scenario + " with --hosts " + hostCount + " --vms "
                    + vmCount + ": " + e.getMessage(), e);
        }
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

    private static Duration positiveDuration(String text) {
        return ScenarioReader.parseDuration(text).filter(d -> !d.isZero())
                .orElseThrow(() -> new IllegalArgumentException("--duration is " + text + "; allowed a positive duration such as "
                        + ScenarioReader.DURATION_EXAMPLES));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down: the hook is what ended the run.
        }
    }
}
