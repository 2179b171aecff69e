package dev.virtiofleet.agent.bench;

import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.poll.SweepOutcome;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.poll.VmPoller;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.testing.RealQemu;
import dev.virtiofleet.avro.VirtioSample;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Poll cost of one full sweep of a real (paused) QEMU with the transcripts' device set: the agent
 * against the floor, a minimal raw client that writes the same commands pipelined in one go and
 * only counts the reply lines. Side by side in one process, alternating rounds.
 *
 * <p>Run: {@code java -cp <agent test classpath> dev.virtiofleet.agent.bench.SweepCostBenchmark [rounds] [sweepsPerRound]}
 */
public final class SweepCostBenchmark {
    private SweepCostBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int sweeps = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        try (RealQemu qemu = RealQemu.startPaused(RealQemu.binary().orElseThrow(), "bench", "11111111-2222-3333-4444-555555555555")) {
            List<String> commands = sweepCommands(qemu.endpoint());
            System.out.printf("one full sweep = %d commands%n", commands.size());
            double agentBest = Double.MAX_VALUE;
            double floorBest = Double.MAX_VALUE;
            for (int round = 0; round < rounds; round++) {
                double agent = agentMicrosPerSweep(qemu.endpoint(), sweeps);
                double floor = floorMicrosPerSweep(qemu.endpoint(), commands, sweeps);
                agentBest = Math.min(agentBest, agent);
                floorBest = Math.min(floorBest, floor);
                System.out.printf("round %d: agent %.0f us/sweep, floor %.0f us/sweep, ratio %.2f%n", round, agent, floor, agent / floor);
            }
            System.out.printf("best: agent %.0f us, floor %.0f us, ratio %.2f%n", agentBest, floorBest, agentBest / floorBest);
        }
    }

    /** The commands of one full sweep, as the agent sends them (ids added by the floor). */
    static List<String> sweepCommands(QmpEndpoint endpoint) throws Exception {
        List<String> commands = new ArrayList<>(List.of("{\"execute\": \"query-status\"}", "{\"execute\": \"x-query-virtio\"}"));
        try (VmPoller poller = VmPoller.connect(endpoint, QmpClientConfig.defaults(), new AgentRun("bench", "bench"),
                SweepPolicy.FULL, Clock.systemUTC())) {
            SweepOutcome outcome = poller.sweep();
            for (VirtioSample sample : outcome.samples()) {
                commands.add("{\"execute\": \"x-query-virtio-status\", \"arguments\": {\"path\": \"" + sample.getDevicePath() + "\"}}");
            }
            for (VirtioSample sample : outcome.samples()) {
                sample.getQueues().forEach(q -> commands.add("{\"execute\": \"x-query-virtio-queue-status\", \"arguments\": "
                        + "{\"path\": \"" + sample.getDevicePath() + "\", \"queue\": " + q.getQueueIndex() + "}}"));
            }
        }
        return commands;
    }

    private static double agentMicrosPerSweep(QmpEndpoint endpoint, int sweeps) throws Exception {
        try (VmPoller poller = VmPoller.connect(endpoint, QmpClientConfig.defaults(), new AgentRun("bench", "bench"),
                SweepPolicy.FULL, Clock.systemUTC())) {
            long start = System.nanoTime();
            for (int i = 0; i < sweeps; i++) {
                if (!(poller.sweep() instanceof SweepOutcome.Completed)) {
                    throw new IllegalStateException("sweep did not complete");
                }
            }
            return (System.nanoTime() - start) / 1000.0 / sweeps;
        }
    }

    private static double floorMicrosPerSweep(QmpEndpoint endpoint, List<String> commands, int sweeps) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(((QmpEndpoint.UnixSocket) endpoint).path()));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8), 1 << 16);
            in.readLine();
            write(channel, "{\"execute\": \"qmp_capabilities\"}\n");
            in.readLine();
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < commands.size(); i++) {
                String command = commands.get(i);
                batch.append(command, 0, command.length() - 1).append(", \"id\": ").append(i).append("}\n");
            }
            String lines = batch.toString();
            long start = System.nanoTime();
            for (int s = 0; s < sweeps; s++) {
                write(channel, lines);
                int replies = 0;
                while (replies < commands.size()) {
                    String line = in.readLine();
                    if (line.contains("\"id\"")) {
                        replies++;
                    }
                }
            }
            return (System.nanoTime() - start) / 1000.0 / sweeps;
        }
    }

    private static void write(SocketChannel channel, String text) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes);
        }
    }
}
