package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtiofleet.kafka.KafkaBroker;
import dev.virtiofleet.kafka.KafkaBrokerExtension;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

class SimCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCENARIO = """
            seed: 3
            hosts:
              - name: hv-a
                vms:
                  - name: db
                    count: 2
                    traffic:
                      blk0/0: {steady: 200}
            timeline:
              - at: 300ms
                inject: backend-hang
                target: hv-a/db-1/blk0/0
            """;

    @TempDir
    Path files;
    private Path sockets;
    private ExecutorService commands;

    @BeforeEach
    void createSocketDir() throws IOException {
        sockets = Files.createTempDirectory(Path.of("/tmp"), "simcmd");
        commands = Executors.newCachedThreadPool();
    }

    @AfterEach
    void deleteSocketDir() throws IOException {
        commands.close();
        try (Stream<Path> paths = Files.walk(sockets)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void growsTheScenarioAnswersQmpOnEveryHostAndReportsFaults() throws Exception {
        Path scenario = Files.writeString(files.resolve("stall.yaml"), SCENARIO);
        RunningSim running = start(sockets, "--scenario", scenario.toString(), "--vms", "7", "--hosts", "3",
                "--seed", "11", "--duration", "5s");

        Path first = sockets.resolve("hv-a/db-0.qmp");
        awaitSockets(sockets, 7);
        JsonNode uuid = running.ask(first, "query-uuid");
        assertTrue(uuid.path("return").path("UUID").asText().matches("[0-9a-f-]{36}"), uuid.toString());
        List<Path> all = socketFiles(sockets);
        for (Path socket : all) {
            JsonNode name = running.ask(socket, "query-name");
            assertEquals(socket.getFileName().toString().replace(".qmp", ""), name.path("return").path("name").asText());
        }
        assertEquals(List.of("host-0001", "host-0002", "hv-a"),
                all.stream().map(p -> p.getParent().getFileName().toString()).distinct().sorted().toList());

        CommandRun run = running.end();
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("host hv-a: 3 VMs, sockets " + sockets.resolve("hv-a").toAbsolutePath()), run.out());
        assertTrue(run.out().contains("7 VMs on 3 hosts"), run.out());
        assertTrue(run.out().contains("sim: at 0.3s inject backend-hang hv-a/db-1/blk0/0"), run.out());
        assertEquals(List.of(), socketFiles(sockets), "sockets are removed at the end");
    }

    @Test
    @ExtendWith(KafkaBrokerExtension.class)
    void publishesSamplesStraightToKafka(KafkaBroker broker) throws Exception {
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("virtio.samples", 3, (short) 1))).all().get();
        }
        CommandRun run = CommandRun.of("sim", "--scenario", "queue-stalled", "--socket-dir", sockets.toString(),
                "--direct-kafka", broker.bootstrapServers(), "--rate", "100", "--duration", "2s");
        assertEquals(0, run.exitCode(), run.err());
        Matcher sent = Pattern.compile("direct-kafka sent (\\d+) samples, (\\d+) acknowledged, 0 failed").matcher(run.out());
        assertTrue(sent.find(), run.out());
        assertTrue(Long.parseLong(sent.group(1)) > 0, run.out());
        assertEquals(sent.group(1), sent.group(2), "every sample sent was acknowledged: " + run.out());
    }

    @Test
    void theSameSeedGivesTheSameFleet() throws Exception {
        // Three runs side by side rather than one after another: each has its whole duration for
        // the question, which a loaded machine needs.
        RunningSim a = startQueueStalled("a", "5");
        RunningSim b = startQueueStalled("b", "5");
        RunningSim c = startQueueStalled("c", "6");
        String uuidA = uuidOfFirstCopy(a, "a");
        String uuidB = uuidOfFirstCopy(b, "b");
        String uuidC = uuidOfFirstCopy(c, "c");
        for (RunningSim run : List.of(a, b, c)) {
            assertEquals(0, run.end().exitCode());
        }
        assertEquals(uuidA, uuidB);
        assertTrue(!uuidA.equals(uuidC), "another seed, other UUIDs");
    }

    @Test
    void badArgumentsAreOneLineErrorsWithExitCode2() throws IOException {
        Path broken = Files.writeString(files.resolve("broken.yaml"), "hosts: []\ntimeline: 5\n");
        String dir = sockets.toString();
        assertUsageError(CommandRun.of("sim", "--scenario", "no-such-thing", "--socket-dir", dir), "is neither a file nor a bundled scenario");
        assertUsageError(CommandRun.of("sim", "--scenario", "healthy", "--vms", "2", "--socket-dir", dir), "declares 6 VMs");
        assertUsageError(CommandRun.of("sim", "--scenario", "healthy", "--hosts", "1", "--socket-dir", dir), "declares 2 hosts");
        assertUsageError(CommandRun.of("sim", "--vms", "2", "--hosts", "3", "--scenario", "queue-stalled", "--socket-dir", dir),
                "vms is 2");
        assertUsageError(CommandRun.of("sim", "--duration", "soon", "--socket-dir", dir), "'soon' is not a positive duration");
        assertUsageError(CommandRun.of("sim", "--scenario", broken.toString(), "--socket-dir", dir), "hosts = []");
        assertUsageError(CommandRun.of("sim", "--direct-kafka", "localhost:9092", "--rate", "-5", "--socket-dir", dir),
                "samples per second is -5.0");
        assertEquals(List.of(), socketFiles(sockets), "nothing was started");
    }

    private RunningSim startQueueStalled(String dir, String seed) {
        return start(sockets.resolve(dir), "--scenario", "queue-stalled", "--vms", "3", "--seed", seed, "--duration", "8s");
    }

    private String uuidOfFirstCopy(RunningSim running, String dir) throws Exception {
        awaitSockets(sockets.resolve(dir), 3);
        return running.ask(sockets.resolve(dir).resolve("hv-01/db-0.0.qmp"), "query-uuid").path("return").path("UUID").asText();
    }

    private RunningSim start(Path socketDir, String... options) {
        String[] args = Stream.concat(Stream.of("sim", "--socket-dir", socketDir.toString()), Stream.of(options))
                .toArray(String[]::new);
        return new RunningSim(commands.submit(() -> CommandRun.of(args)));
    }

    /** A sim command running on its own thread while the test talks to its VMs. */
    private record RunningSim(Future<CommandRun> run) {
        JsonNode ask(Path socket, String command) {
            try {
                return SimCommandTest.ask(socket, command);
            } catch (IOException e) {
                String state = run.isDone() ? "the sim had already ended: " + outcome() : "the sim was still running";
                throw new AssertionError("asking " + socket + " for " + command + " failed (" + e + "); " + state, e);
            }
        }

        CommandRun end() throws Exception {
            return run.get(30, TimeUnit.SECONDS);
        }

        private String outcome() {
            try {
                CommandRun ended = run.get();
                return "exit " + ended.exitCode() + ", out: " + ended.out() + " err: " + ended.err();
            } catch (InterruptedException | ExecutionException e) {
                return e.toString();
            }
        }
    }

    private static void assertUsageError(CommandRun run, String expected) {
        assertEquals(2, run.exitCode(), run.out() + run.err());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().startsWith("virtio-fleet sim: "), run.err());
        assertTrue(run.err().contains(expected), run.err());
    }

    private static void awaitSockets(Path socketDir, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (socketFiles(socketDir).size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("sockets did not appear: " + socketFiles(socketDir));
            }
            Thread.sleep(20);
        }
    }

    private static List<Path> socketFiles(Path socketDir) throws IOException {
        if (!Files.isDirectory(socketDir)) {
            return List.of();
        }
        try (Stream<Path> paths = Files.walk(socketDir)) {
            return paths.filter(p -> p.toString().endsWith(".qmp")).sorted().toList();
        }
    }

    /** Connects, negotiates capabilities and returns the reply to {@code command}. */
    private static JsonNode ask(Path socket, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            assertTrue(JSON.readTree(in.readLine()).has("QMP"));
            out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
            assertTrue(JSON.readTree(in.readLine()).has("return"));
            out.write(("{\"execute\":\"" + command + "\",\"id\":1}\n").getBytes(StandardCharsets.UTF_8));
            return JSON.readTree(in.readLine());
        }
    }
}
