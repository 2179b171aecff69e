package dev.virtiofleet.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.virtiofleet.launcher.demo.Demo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Spec;

/** The README's first command: the whole pipeline on this machine, on real parts, with a live view. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole pipeline locally: a Kafka broker (in-process KRaft), the topics, simulated hypervisors",
                "whose VMs speak QMP on unix sockets, one agent per host, the detection application, and a live view of",
                "alerts firing and resolving with their evidence. The built-in scenario injects a virtio-blk backend hang,",
                "a NEEDS_RESET device, a VM whose features drift from its group and a paused VM that must not alert.",
                "Ctrl-C stops everything and removes what it created (unless --data-dir or --keep)."})
final class DemoCommand implements Callable<Integer> {
    /** Closing agents (spool flush), streams (commit) and the broker takes a few seconds each. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(60);

    @Spec
    CommandSpec spec;

    @Mixin
    RunFor runFor;

    @Option(names = "--scenario", paramLabel = "FILE|NAME",
            description = "A scenario YAML file or a bundled scenario's name (default: the built-in demo)")
    Optional<String> scenario;

    @Option(names = "--vms", paramLabel = "N", description = "VMs in all, copies of the scenario's (default: the scenario's count)")
    Optional<Integer> vms;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Use this Kafka cluster instead of starting a broker (topics are created there)")
    Optional<String> bootstrapServers;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's data, spools and state here, across runs (default: a temporary directory, removed at exit)")
    Optional<Path> dataDir;

    @Option(names = "--keep", description = "Keep the temporary directory at exit, and say where it is")
    boolean keep;

    @Option(names = "--poll-interval", paramLabel = "D", converter = DurationConverter.class, defaultValue = "2s",
            description = "Agents' poll interval (default: ${DEFAULT-VALUE}; agents on real hypervisors poll every 10s)")
    Duration pollInterval;

    @Option(names = "--stall-threshold", paramLabel = "D", converter = DurationConverter.class, defaultValue = "15s",
            description = "How long a queue may make no progress before it is stalled (default: ${DEFAULT-VALUE}; production: 30s)")
    Duration stallThreshold;

    @Option(names = "--qemu", description = {"Also boot a real QEMU guest (TCG; qemu-system-x86 and qemu-utils installed) as host "
            + "qemu-01, and hang its disk for real: kill -STOP of its qemu-nbd 45 s after boot, kill -CONT 90 s later"})
    boolean realGuest;

    @Option(names = "--prometheus", description = "Also run this machine's Prometheus (Debian package prometheus) with the rules of"
            + " deploy/prometheus/rules/, scraping the demo's agents and detection app every 5 s, and print its URL; without either, exit 2")
    boolean prometheus;

    @Option(names = "--verbose", description = "Show the components' INFO logs (connections, polling) beside the live view")
    boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (!verbose) {
            // The live view tells the story; per-VM connection logs would bury it. Warnings still show.
            ((Logger) LoggerFactory.getLogger("dev.virtiofleet")).setLevel(Level.WARN);
        }
        Demo.Options options = new Demo.Options(scenario, vms, bootstrapServers, dataDir, keep, pollInterval, stallThreshold, realGuest,
                prometheus);
        try (StopSignal signal = StopSignal.install("demo", SHUTDOWN_GRACE);
                Demo demo = Demo.start(options, System.out)) {
            signal.await(runFor.duration());
            System.out.println(signal.signalled() ? "demo: stopping (signal)" : "demo: stopping (--duration reached)");
        }
        return VirtioFleet.EXIT_OK;
    }
}
