package dev.virtiofleet.agent.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.runtime.Agent;
import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.agent.schedule.VmStatus;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * Host scale: the whole agent (discovery, one poller per VM, Avro, Kafka publishing, heartbeats,
 * metrics) polling {@code vms} simulated VMs at a 10 s interval, against its floor: the same
 * sweep's commands written pipelined by a minimal raw client on lasting connections to the same
 * monitors, spread over the interval the same way, reading only reply lines. Both run in this JVM,
 * one after the other, over the same number of cycles.
 *
 * <p>The simulator and the Kafka broker run in a child JVM ({@link SimulatedFleetHost}), so this
 * process's CPU time ({@code OperatingSystemMXBean.getProcessCpuTime}) is the agent's, or the
 * floor's, alone; in one JVM the simulator's answering and the broker's work would be counted too.
 * Heap: used after a full GC once the cycles are done, and the peak of the heap pools during the
 * cycles (collected or not). Goals: CPU at most 5 % of one core, heap at most 256 MiB.
 *
 * <p>Run: see {@code agent/BENCHMARKS.md}; arguments {@code [vms] [cycles] [interval-seconds] [census-every] [warm-up-sweeps] [sides: both, or agent alone]}.
 */
public final class HostScaleBenchmark {
    private HostScaleBenchmark() {}

    public static void main(String[] args) throws Exception {
        int vms = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Duration interval = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 10);
        int censusEvery = args.length > 3 ? Integer.parseInt(args[3]) : SweepPolicy.DEFAULT_CENSUS_EVERY;
        int warmUpSweeps = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        boolean withFloor = args.length <= 5 || switch (args[5]) {
            case "both" -> true;
            case "agent" -> false; // for trying a change quickly; a figure for the record needs its floor
            default -> throw new IllegalArgumentException("sides must be both or agent, got " + args[5]);
        };
        System.out.printf("host scale: %d simulated VMs, %d cycles of %s after %d warm-up sweeps, agent at poll.census-every %d "
                + "(the floors send full sweeps, then as many commands as the agent did); start: %s%n", vms, cycles, interval, warmUpSweeps, censusEvery, BenchMachine.load());
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vf-scale");
        Process host = startHost(dir, vms);
        try {
            String bootstrap = awaitReady(host);
            try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new NewTopic("virtio.samples", 3, (short) 1), new NewTopic("virtio.heartbeats", 1, (short) 1)))
                        .all().get();
            }
            Figures agent = measureAgent(dir, bootstrap, vms, cycles, interval, censusEvery, warmUpSweeps);
            System.out.printf("agent: %.2f %% of one core (%.1f s CPU over %.1f s), %d commands answered%n",
                    agent.cpuPercent(), agent.cpuSeconds(), agent.wallSeconds(), agent.commands());
            List<Figures> floors = new ArrayList<>();
            if (withFloor) {
                List<String> commands = SweepCostBenchmark.sweepCommands(new QmpEndpoint.UnixSocket(dir.resolve("sockets/vm-0.qmp")));
                floors.add(measureFloor(dir, vms, cycles, interval, warmUpSweeps, new FloorSweeps(commands, 1, commands.size())));
                FloorSweeps agentsCount = FloorSweeps.likeTheAgent(commands, censusEvery, (double) agent.commands() / (vms * (long) cycles));
                if (cycles % censusEvery != 0) {
                    System.out.printf("note: %d cycles are not a multiple of census-every %d, so the agent's census sweeps in them are "
                            + "not its usual share and the second floor's command count is only approximate%n", cycles, censusEvery);
                }
                if (agentsCount.betweenCensuses() < commands.size()) {
                    floors.add(measureFloor(dir, vms, cycles, interval, warmUpSweeps, agentsCount));
                }
            }
            for (Figures f : floors) {
                System.out.printf("floor, %s: %.2f %% of one core (%.1f s CPU over %.1f s), %d commands answered; agent / floor CPU: %.2f%n",
                        f.label(), f.cpuPercent(), f.cpuSeconds(), f.wallSeconds(), f.commands(), agent.cpuPercent() / f.cpuPercent());
            }
            System.out.println("CPU by thread group, % of one core (agent" + " | floor".repeat(floors.size()) + "):");
            agent.byThreadGroup().forEach((group, seconds) -> System.out.printf("  %-32s %6.2f%s%n", group, 100 * seconds / agent.wallSeconds(),
                    floors.stream().map(f -> " | %6.2f".formatted(100 * f.byThreadGroup().getOrDefault(group, 0.0) / f.wallSeconds()))
                            .reduce("", String::concat)));
            System.out.printf("agent heap: %.0f MiB used after GC, %.0f MiB peak during the cycles, max heap %.0f MiB (goals: CPU <= 5 %%, heap <= 256 MiB)%n",
                    agent.heapAfterGcMiB(), agent.heapPeakMiB(), Runtime.getRuntime().maxMemory() / 1048576.0);
            System.out.println("(peak: the sum of the heap pools' peaks, an upper bound; how high it goes depends on how lazily the GC collects under the max heap)");
        } finally {
            host.getOutputStream().close();
            if (!host.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                host.destroyForcibly();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            }
            System.out.printf("end: %s (the machine is shared: figures are noisy)%n", BenchMachine.load());
        }
    }

    private record Figures(String label, double cpuSeconds, double wallSeconds, long commands, double heapAfterGcMiB, double heapPeakMiB,
            Map<String, Double> byThreadGroup) {
        double cpuPercent() {
            return 100 * cpuSeconds / wallSeconds;
        }
    }

    private static Process startHost(Path dir, int vms) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        return new ProcessBuilder(java, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", SimulatedFleetHost.class.getName(),
                dir.resolve("sockets").toString(), dir.resolve("kafka").toString(), Integer.toString(vms))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String awaitReady(Process host) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(host.getInputStream(), StandardCharsets.UTF_8));
        String bootstrap = null;
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("bootstrap=")) {
                bootstrap = line.substring("bootstrap=".length());
            } else if (line.equals("ready") && bootstrap != null) {
                return bootstrap;
            }
        }
        throw new IOException("the simulated host ended before it was ready (exit " + host.exitValue() + ")");
    }

    private static Figures measureAgent(Path dir, String bootstrap, int vms, int cycles, Duration interval, int censusEvery,
            int warmUpSweeps) throws Exception {
        AgentConfig config = AgentConfig.parse("""
                host-id: bench
                discovery:
                  socket-globs: ["%s/sockets/*.qmp"]
                poll:
                  interval: %ds
                  census-every: %d
                publish:
                  spool-dir: %s/spool
                metrics:
                  listen: 127.0.0.1:0
                kafka:
                  bootstrap.servers: %s
                """.formatted(dir, interval.toSeconds(), censusEvery, dir, bootstrap), "bench.yaml");
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Agent agent = Agent.start(config, "bench")) {
            // Warm-up: every VM connected and swept (JIT, connections, producer metadata), not counted.
            awaitSweeps(agent, vms, warmUpSweeps, interval.multipliedBy(8L + warmUpSweeps));
            long commandsBefore = commands(agent);
            resetHeapPeaks();
            Map<String, Double> threadsBefore = ThreadGroupCpu.now();
            long cpuBefore = os.getProcessCpuTime();
            long wallBefore = System.nanoTime();
            Thread.sleep(interval.multipliedBy(cycles));
            long cpu = os.getProcessCpuTime() - cpuBefore;
            long wall = System.nanoTime() - wallBefore;
            Map<String, Double> threads = ThreadGroupCpu.between(threadsBefore, ThreadGroupCpu.now());
            long answered = commands(agent) - commandsBefore;
            double peak = heapPeakMiB();
            System.gc();
            double afterGc = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / 1048576.0;
            long sampled = agent.vms().stream().filter(vm -> vm.sampledSweeps() >= warmUpSweeps + cycles - 1).count();
            System.out.printf("agent: %d of %d VMs swept every cycle; %d samples delivered, %d buffered, %d spooled%n", sampled, vms,
                    agent.publisherStats().delivered(), agent.publisherStats().buffered(), agent.publisherStats().spooled());
            return new Figures("agent", cpu / 1e9, wall / 1e9, answered, afterGc, peak, threads);
        }
    }

    private static long commands(Agent agent) {
        var outcomes = agent.heartbeat().getOutcomes();
        return outcomes.getReplies() + outcomes.getQmpErrors();
    }

    private static void awaitSweeps(Agent agent, int vms, int sweeps, Duration limit) throws InterruptedException {
        long giveUp = System.nanoTime() + limit.toNanos();
        while (true) {
            List<VmStatus> status = agent.vms();
            if (status.size() == vms && status.stream().allMatch(vm -> vm.sampledSweeps() >= sweeps)) {
                return;
            }
            if (System.nanoTime() > giveUp) {
                throw new IllegalStateException("VMs not swept " + sweeps + " times within " + limit + ": " + status.stream()
                        .filter(vm -> vm.sampledSweeps() < sweeps).limit(3).toList());
            }
            Thread.sleep(200);
        }
    }

    /**
     * What a floor client sends: the full sweep's commands (pipelined, in one write) on every
     * {@code censusEvery}-th sweep of its VM and only the first {@code betweenCensuses} of them on
     * the others. {@code (commands, 1, all)} is the full sweep every time.
     */
    private record FloorSweeps(List<String> commands, int censusEvery, int betweenCensuses) {
        /** As many commands per sweep as the agent answered on average, in the agent's census rhythm. */
        static FloorSweeps likeTheAgent(List<String> commands, int censusEvery, double agentsPerSweep) {
            if (censusEvery <= 1) {
                return new FloorSweeps(commands, 1, commands.size());
            }
            long between = Math.round((agentsPerSweep * censusEvery - commands.size()) / (censusEvery - 1));
            return new FloorSweeps(commands, censusEvery, (int) Math.clamp(between, 1, commands.size()));
        }

        String label() {
            return censusEvery == 1 ? "full sweeps (%d commands)".formatted(commands.size())
                    : "the agent's command count (%d every %d-th sweep, the first %d otherwise)".formatted(commands.size(), censusEvery,
                            betweenCensuses);
        }
    }

    /**
     * The floor: per VM a lasting connection and its own random phase in the interval, as the agent
     * spreads its VMs; each cycle the sweep's commands go out in one write and the reply lines are
     * counted as newline bytes. No JSON is parsed, no text decoded, nothing encoded or published.
     */
    private static Figures measureFloor(Path dir, int vms, int cycles, Duration interval, int warmUpSweeps, FloorSweeps sweeps)
            throws Exception {
        StringBuilder batch = new StringBuilder();
        for (int i = 0; i < sweeps.commands().size(); i++) {
            String command = sweeps.commands().get(i);
            batch.append(command, 0, command.length() - 1).append(", \"id\": ").append(i).append("}\n");
        }
        byte[] lines = batch.toString().getBytes(StandardCharsets.UTF_8);
        int prefix = 0;
        for (int seen = 0; seen < sweeps.betweenCensuses(); prefix++) {
            seen += lines[prefix] == '\n' ? 1 : 0;
        }
        ByteBuffer census = ByteBuffer.wrap(lines).asReadOnlyBuffer();
        ByteBuffer between = ByteBuffer.wrap(lines, 0, prefix).slice().asReadOnlyBuffer();
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        AtomicLong answered = new AtomicLong();
        List<Thread> clients = new ArrayList<>();
        long start = System.nanoTime();
        long warmUpEnd = start + interval.multipliedBy(warmUpSweeps).toNanos();
        long end = warmUpEnd + interval.multipliedBy(cycles).toNanos();
        AtomicLong counting = new AtomicLong();
        for (int v = 0; v < vms; v++) {
            Path socket = dir.resolve("sockets/vm-" + v + ".qmp");
            long phase = (long) (ThreadLocalRandom.current().nextDouble() * interval.toNanos());
            clients.add(Thread.ofVirtual().start(() -> floorClient(socket, sweeps, census.duplicate(), between.duplicate(), start + phase,
                    interval, end, warmUpEnd, answered, counting)));
        }
        long sleep = warmUpEnd - System.nanoTime();
        Thread.sleep(Math.max(0, sleep / 1_000_000));
        Map<String, Double> threadsBefore = ThreadGroupCpu.now();
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long wall = System.nanoTime() - wallBefore;
        Map<String, Double> threads = ThreadGroupCpu.between(threadsBefore, ThreadGroupCpu.now());
        for (Thread client : clients) {
            client.join();
        }
        System.out.printf("floor, %s: %d sweeps in the counted cycles%n", sweeps.label(), counting.get());
        return new Figures(sweeps.label(), cpu / 1e9, wall / 1e9, answered.get(), 0, 0, threads);
    }

    private static void floorClient(Path socket, FloorSweeps sweeps, ByteBuffer census, ByteBuffer between, long first, Duration interval,
            long end, long countFrom, AtomicLong answered, AtomicLong counted) {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            ByteBuffer in = ByteBuffer.allocateDirect(1 << 16);
            awaitLines(channel, in, 1);
            write(channel, ByteBuffer.wrap("{\"execute\": \"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8)));
            awaitLines(channel, in, 1);
            long sweep = 0;
            for (long next = first; next < end; next += interval.toNanos(), sweep++) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                boolean isCensus = sweep % sweeps.censusEvery() == 0;
                write(channel, (isCensus ? census : between).rewind());
                int replies = isCensus ? sweeps.commands().size() : sweeps.betweenCensuses();
                if (!awaitLines(channel, in, replies)) {
                    return;
                }
                if (next >= countFrom) {
                    answered.addAndGet(replies);
                    counted.incrementAndGet();
                }
            }
        } catch (IOException e) {
            System.err.println("floor client " + socket + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads until {@code lines} newlines have come (replies are one line each; the simulated VMs send no events here); false at end of stream. */
    private static boolean awaitLines(SocketChannel channel, ByteBuffer in, int lines) throws IOException {
        int seen = 0;
        while (seen < lines) {
            in.clear();
            if (channel.read(in) < 0) {
                return false;
            }
            for (int i = 0; i < in.position(); i++) {
                seen += in.get(i) == '\n' ? 1 : 0;
            }
        }
        return true;
    }

    private static void write(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private static void resetHeapPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().stream().filter(pool -> pool.getType() == MemoryType.HEAP)
                .forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    private static double heapPeakMiB() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(pool -> pool.getType() == MemoryType.HEAP)
                .mapToLong(pool -> pool.getPeakUsage().getUsed()).sum() / 1048576.0;
    }
}
