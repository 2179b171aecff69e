package dev.virtiofleet.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.OperatingSystemMXBean;
import dev.virtiofleet.sim.Simulator;
import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.Traffic;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Benchmark (a), not a test: VMS simulated VMs with six queues each (net0 rx/tx/ctrl, blk0 two
 * request queues, rng0) in one JVM answer a 10 s poll cycle. CLIENTS threads each sweep their share
 * of the VMs with the agent's full command set, pipelined per phase as the agent does: query-status
 * and x-query-virtio; x-query-virtio-status of every device; x-query-virtio-queue-status of every
 * queue. Prints the achieved cycle time, process CPU (simulator threads and client threads apart)
 * and heap after GC. Arguments: [vms] [clients] [cycles]; run it with {@code scripts/bench.sh poll-cycle}.
 */
public final class PollCycleBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CYCLE_NANOS = 10_000_000_000L;

    public static void main(String[] args) throws Exception {
        int vms = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int cycles = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vbench");
        List<VmSpec> specs = IntStream.range(0, vms).mapToObj(i -> cloudGuest("vm-" + i)).toList();
        long startedAt = System.nanoTime();
        try (Simulator host = Simulator.start(dir, InstantSource.system(), specs)) {
            for (SimulatedVm vm : host.vms()) {
                vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(200));
                vm.setTraffic(new QueueRef("net0", 0), Traffic.steady(100));
                vm.setTraffic(new QueueRef("net0", 1), Traffic.steady(100));
            }
            int queues = specs.getFirst().devices().stream().mapToInt(d -> d.queues().size()).sum();
            System.out.printf("%d VMs, %d queues, %d sockets up in %.1f s; %d client threads, %d cycles of 10 s%n",
                    vms, vms * queues, vms, (System.nanoTime() - startedAt) / 1e9, clients, cycles);
            List<Path> sockets = specs.stream().map(s -> host.socket(s.name())).toList();
            OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            AtomicLong commands = new AtomicLong();
            AtomicLong errors = new AtomicLong();
            sweepAll(sockets, clients, commands, errors); // warm-up cycle, not counted
            commands.set(0);
            long cpuBefore = os.getProcessCpuTime();
            long serverBefore = serverThreadCpu(threads);
            long wallBefore = System.nanoTime();
            List<Double> cycleSeconds = new ArrayList<>();
            for (int c = 0; c < cycles; c++) {
                long cycleStart = System.nanoTime();
                sweepAll(sockets, clients, commands, errors);
                long took = System.nanoTime() - cycleStart;
                cycleSeconds.add(took / 1e9);
                System.out.printf("cycle %d: all %d VMs swept in %.2f s%n", c + 1, vms, took / 1e9);
                if (took < CYCLE_NANOS) {
                    Thread.sleep((CYCLE_NANOS - took) / 1_000_000);
                }
            }
            double wall = (System.nanoTime() - wallBefore) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            double server = (serverThreadCpu(threads) - serverBefore) / 1e9;
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            System.out.printf("commands answered: %d (%d per cycle), QMP errors: %d%n", commands.get(),
                    commands.get() / cycles, errors.get());
            System.out.printf("cycle time: mean %.2f s, max %.2f s (period 10 s)%n",
                    cycleSeconds.stream().mapToDouble(d -> d).average().orElse(0),
                    cycleSeconds.stream().mapToDouble(d -> d).max().orElse(0));
            System.out.printf("process CPU: %.1f s over %.1f s wall = %.2f cores (%.0f%% of %d); simulator threads %.1f s = %.2f cores, "
                    + "client and rest %.1f s%n", cpu, wall, cpu / wall, 100 * cpu / wall / os.getAvailableProcessors(),
                    os.getAvailableProcessors(), server, server / wall, cpu - server);
            System.out.printf("heap after GC: %.0f MiB (%.1f KiB per VM)%n", heap / 1048576.0, heap / 1024.0 / vms);
        } finally {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static VmSpec cloudGuest(String name) {
        return new VmSpec(name, UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)), List.of(
                LinuxGuestDevices.net("net0", NetOptions.defaults()),
                LinuxGuestDevices.blk("blk0", 2),
                LinuxGuestDevices.rng("rng0")));
    }

    private static long serverThreadCpu(ThreadMXBean threads) {
        long total = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null && info.getThreadName().startsWith("qmp-server-")) {
                total += threads.getThreadCpuTime(info.getThreadId());
            }
        }
        return total;
    }

    private static void sweepAll(List<Path> sockets, int clients, AtomicLong commands, AtomicLong errors) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            int share = t;
            workers.add(Thread.ofPlatform().name("bench-client-" + t).start(() -> {
                for (int i = share; i < sockets.size(); i += clients) {
                    try {
                        sweep(sockets.get(i), commands, errors);
                    } catch (IOException e) {
                        errors.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }

    /**
     * One VM, as the agent's full sweep: the monitor takes one client at a time and the process may
     * hold only 20,000 descriptors (10,000 go to listening sockets), so each sweep connects anew;
     * that costs more than the agent's lasting connections.
     */
    private static void sweep(Path socket, AtomicLong commands, AtomicLong errors) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8), 1 << 16);
            OutputStream out = Channels.newOutputStream(channel);
            in.readLine(); // greeting
            List<JsonNode> replies = exchange(in, out, List.of("{\"execute\":\"qmp_capabilities\"}"), errors);
            replies = exchange(in, out, List.of("{\"execute\":\"query-status\"}", "{\"execute\":\"x-query-virtio\"}"), errors);
            List<String> paths = new ArrayList<>();
            replies.get(1).path("return").forEach(device -> paths.add(device.path("path").asText()));
            List<String> statusRequests = paths.stream()
                    .map(p -> "{\"execute\":\"x-query-virtio-status\",\"arguments\":{\"path\":\"" + p + "\"}}").toList();
            List<JsonNode> statuses = exchange(in, out, statusRequests, errors);
            List<String> queueRequests = new ArrayList<>();
            for (int d = 0; d < paths.size(); d++) {
                int queues = statuses.get(d).path("return").path("num-vqs").asInt();
                for (int q = 0; q < queues; q++) {
                    queueRequests.add("{\"execute\":\"x-query-virtio-queue-status\",\"arguments\":{\"path\":\"" + paths.get(d)
                            + "\",\"queue\":" + q + "}}");
                }
            }
            exchange(in, out, queueRequests, errors);
            commands.addAndGet(3 + statusRequests.size() + queueRequests.size());
        }
    }

    /** Sends every request at once, then reads the replies in order (events are skipped). */
    private static List<JsonNode> exchange(BufferedReader in, OutputStream out, List<String> requests, AtomicLong errors) throws IOException {
        out.write((String.join("\n", requests) + "\n").getBytes(StandardCharsets.UTF_8));
        List<JsonNode> replies = new ArrayList<>();
        while (replies.size() < requests.size()) {
            String line = in.readLine();
            if (line == null) {
                throw new IOException("monitor closed");
            }
            JsonNode reply = JSON.readTree(line);
            if (reply.has("event")) {
                continue;
            }
            if (reply.has("error")) {
                errors.incrementAndGet();
            }
            replies.add(reply);
        }
        return replies;
    }
}
