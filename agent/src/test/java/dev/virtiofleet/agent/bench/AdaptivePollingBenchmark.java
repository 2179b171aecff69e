package dev.virtiofleet.agent.bench;

import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.poll.SweepOutcome;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.poll.VmPoller;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.sim.Simulator;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.workload.Traffic;
import dev.virtiofleet.qemu.RealQemuGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Adaptive polling: QMP commands and monitor time per sweep for the running-guest device set
 * (virtio-net, -blk, -scsi, -serial with 64 queues, -balloon, -rng, -input), reading every queue
 * every sweep ({@code poll.census-every: 1}) against the adaptive setting (queues that never moved
 * or are not set up read only on census sweeps, {@code poll.census-every: N}), side by side on the
 * same monitor, alternating. Against a real QEMU running a real Linux guest under TCG
 * ({@link RealQemuGuest}) where it can run, and against the simulator (the transcripts' VM with
 * busy disk and network) always.
 *
 * <p>Commands are counted as the agent's pollers complete them (the connection's identity queries
 * excluded). "Monitor time" is each sweep's wall time from its first command sent to its last
 * reply: QEMU answers QMP in its main loop, one command after another, so that is the time a sweep
 * occupies the monitor (an upper bound: it includes the socket round trips of the four phases).
 * Averages are over whole census periods, so they are the figures per interval.
 *
 * <p>Run: see {@code agent/BENCHMARKS.md}; arguments {@code [census-every] [periods] [interval-ms]}.
 */
public final class AdaptivePollingBenchmark {
    private AdaptivePollingBenchmark() {}

    public static void main(String[] args) throws Exception {
        int censusEvery = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int periods = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Duration interval = Duration.ofMillis(args.length > 2 ? Long.parseLong(args[2]) : 1000);
        int sweeps = censusEvery * periods;
        System.out.printf("adaptive polling: census-every 1 vs %d, %d sweeps each, %s apart; start: %s%n", censusEvery, sweeps, interval,
                BenchMachine.load());
        var unavailable = RealQemuGuest.unavailableReason();
        if (unavailable.isPresent()) {
            System.out.println("real QEMU: skipped, " + unavailable.get());
        } else {
            try (RealQemuGuest guest = RealQemuGuest.boot()) {
                compare("real QEMU (TCG, Linux guest)", new QmpEndpoint.UnixSocket(guest.qmpSocket()), censusEvery, sweeps, interval);
            }
        }
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vf-adaptive");
        try (Simulator simulator = Simulator.start(dir, InstantSource.system(),
                List.of(ReferenceMachines.transcriptGuest("guest", UUID.randomUUID(), NetOptions.defaults())))) {
            SimulatedVm vm = simulator.vm("guest");
            vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(200));
            vm.setTraffic(new QueueRef("net0", 0), Traffic.steady(80));
            vm.setTraffic(new QueueRef("net0", 1), Traffic.steady(60));
            compare("simulator", new QmpEndpoint.UnixSocket(simulator.socket("guest")), censusEvery, sweeps, interval);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
        }
        System.out.printf("end: %s (the machine is shared: figures are noisy)%n", BenchMachine.load());
    }

    private record Run(List<Long> commands, List<Double> millis) {
        double commandsPerSweep() {
            return commands.stream().mapToLong(Long::longValue).average().orElse(0);
        }

        double millisPerSweep() {
            return millis.stream().mapToDouble(Double::doubleValue).average().orElse(0);
        }
    }

    private static void compare(String target, QmpEndpoint endpoint, int censusEvery, int sweeps, Duration interval) throws Exception {
        // Alternating, so a change of the machine's load or the guest's activity falls on both alike.
        // Both with the default idle probes: the comparison is of the census cadence alone.
        SweepPolicy everyQueue = new SweepPolicy(1, SweepPolicy.DEFAULT_IDLE_PROBE_EVERY);
        SweepPolicy census = new SweepPolicy(censusEvery, SweepPolicy.DEFAULT_IDLE_PROBE_EVERY);
        Run full = sweep(endpoint, everyQueue, sweeps, interval);
        Run adaptive = sweep(endpoint, census, sweeps, interval);
        Run fullAgain = sweep(endpoint, everyQueue, sweeps, interval);
        System.out.printf("%s, census-every 1:  %.1f commands per sweep, %.1f ms monitor time per sweep (again: %.1f, %.1f ms)%n",
                target, full.commandsPerSweep(), full.millisPerSweep(), fullAgain.commandsPerSweep(), fullAgain.millisPerSweep());
        System.out.printf("%s, census-every %d:  %.1f commands per sweep, %.1f ms monitor time per sweep; per sweep: %s%n",
                target, censusEvery, adaptive.commandsPerSweep(), adaptive.millisPerSweep(), adaptive.commands());
        System.out.printf("%s: %.1f x fewer commands, %.1f x less monitor time per interval (goal: >= 3 x fewer commands)%n", target,
                full.commandsPerSweep() / adaptive.commandsPerSweep(), full.millisPerSweep() / adaptive.millisPerSweep());
    }

    private static Run sweep(QmpEndpoint endpoint, SweepPolicy policy, int sweeps, Duration interval) throws Exception {
        AtomicLong completed = new AtomicLong();
        AgentRun run = new AgentRun("bench", "bench", (command, outcome, latency) -> completed.incrementAndGet());
        List<Long> commands = new ArrayList<>();
        List<Double> millis = new ArrayList<>();
        try (VmPoller poller = VmPoller.connect(endpoint, QmpClientConfig.defaults(), run, policy, Clock.systemUTC())) {
            Thread.sleep(interval);
            long before = completed.get();
            for (int i = 0; i < sweeps; i++) {
                long start = System.nanoTime();
                SweepOutcome outcome = poller.sweep();
                millis.add((System.nanoTime() - start) / 1e6);
                if (!(outcome instanceof SweepOutcome.Completed)) {
                    throw new IllegalStateException("sweep " + i + " did not complete: " + outcome);
                }
                // Counted after the wait, when every completion of this sweep has been told.
                Thread.sleep(interval);
                long now = completed.get();
                commands.add(now - before);
                before = now;
            }
        }
        return new Run(commands, millis);
    }
}
