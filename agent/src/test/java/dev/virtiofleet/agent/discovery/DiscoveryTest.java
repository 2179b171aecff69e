package dev.virtiofleet.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.schedule.FleetScheduler;
import dev.virtiofleet.agent.schedule.PollConfig;
import dev.virtiofleet.agent.schedule.VmStatus;
import dev.virtiofleet.agent.testing.TestQmpServer;
import dev.virtiofleet.agent.testing.TranscriptReplay;
import dev.virtiofleet.avro.VirtioSample;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DiscoveryTest {
    private Path dir;
    private final List<ServerSocketChannel> listeners = new ArrayList<>();
    private final List<TestQmpServer> servers = new ArrayList<>();

    @BeforeEach
    void socketDir() throws IOException {
        // Unix socket paths must stay under 108 bytes: /tmp, not the build directory.
        dir = Files.createTempDirectory(Path.of("/tmp"), "vf-disc");
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (TestQmpServer server : servers) {
            server.close();
        }
        for (ServerSocketChannel listener : listeners) {
            listener.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private Path socket(String relative) throws IOException {
        Path path = dir.resolve(relative);
        Files.createDirectories(path.getParent());
        ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        listener.bind(UnixDomainSocketAddress.of(path));
        listeners.add(listener);
        return path;
    }

    @Test
    void aGlobFindsTheSocketsItMatchesAndNothingElse() throws IOException {
        Path vm100 = socket("100.qmp");
        Path vm101 = socket("101.qmp");
        socket("100.vnc");
        Files.writeString(dir.resolve("102.qmp"), "a regular file is not a monitor");
        Files.createDirectories(dir.resolve("103.qmp"));
        SocketGlobSource source = new SocketGlobSource(List.of(dir + "/*.qmp"));
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(vm100), new QmpEndpoint.UnixSocket(vm101)), source.discover());
    }

    @Test
    void newSocketsArePickedUpAndVanishedOnesDroppedOnTheNextLook() throws IOException {
        SocketGlobSource source = new SocketGlobSource(List.of(dir + "/*.sock"));
        assertEquals(Set.of(), source.discover());
        Path first = socket("a.sock");
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(first)), source.discover());
        Path second = socket("b.sock");
        Files.delete(first);
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(second)), source.discover());
    }

    @Test
    void globsMayReachIntoSubdirectoriesAndMissingDirectoriesAreEmpty() throws IOException {
        Path nested = socket("vms/guest-1/qmp.sock");
        SocketGlobSource source = new SocketGlobSource(List.of(dir + "/vms/*/qmp.sock", dir + "/absent/*.sock"));
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(nested)), source.discover());
    }

    @Test
    void aGlobWithoutWildcardsNamesOneSocket() throws IOException {
        Path only = socket("only.qmp");
        socket("other.qmp");
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(only)), new SocketGlobSource(List.of(only.toString())).discover());
    }

    @Test
    void staticEntriesParseAndBadOnesNameKeyValueAndWhatIsAllowed() {
        assertEquals(new QmpEndpoint.Tcp("10.0.0.5", 4444), StaticEndpoints.parse("k", "10.0.0.5:4444"));
        assertEquals(new QmpEndpoint.Tcp("::1", 4444), StaticEndpoints.parse("k", "[::1]:4444"));
        assertEquals(new QmpEndpoint.Tcp("hv-7.example", 1), StaticEndpoints.parse("k", "hv-7.example:1"));
        for (String bad : List.of("nohost", "host:", ":4444", "host:0", "host:65536", "host:http", "::1:4444")) {
            ConfigException error = assertThrows(ConfigException.class,
                    () -> new DiscoveryConfig(List.of(), List.of("10.0.0.1:1", bad)), bad);
            assertEquals("discovery.static[1]", error.key());
            assertTrue(error.getMessage().contains(bad) && error.getMessage().contains("host:port"), error.getMessage());
        }
    }

    @Test
    void relativeGlobsAreRejectedByKey() {
        ConfigException error = assertThrows(ConfigException.class,
                () -> new DiscoveryConfig(List.of("/run/a/*.sock", "qmp/*.sock"), List.of()));
        assertEquals("discovery.socket-globs[1]", error.key());
    }

    @Test
    void theDefaultsCoverProxmoxAndTheTelemetryDirectory() {
        assertEquals(List.of("/var/run/qemu-server/*.qmp", "/run/virtio-fleet/qmp/*.sock"), DiscoveryConfig.defaults().socketGlobs());
    }

    @Test
    void configuredSourcesCombineGlobsAndStaticEntries() throws IOException {
        Path vm = socket("vm.sock");
        DiscoveryConfig config = new DiscoveryConfig(List.of(dir + "/*.sock"), List.of("127.0.0.1:4444"));
        assertEquals(Set.of(new QmpEndpoint.UnixSocket(vm), new QmpEndpoint.Tcp("127.0.0.1", 4444)), config.source().discover());
    }

    @Test
    void theDiscoveryLoopKeepsTheSchedulerInStepWithTheSocketDirectory() throws Exception {
        List<VirtioSample> samples = new CopyOnWriteArrayList<>();
        Duration interval = Duration.ofMillis(50);
        TestQmpServer first = serve("first.sock", "qemu-7.2-linux-6.1-guest-running.txt");
        try (FleetScheduler scheduler = new FleetScheduler(PollConfig.every(interval), QmpClientConfig.defaults(),
                new AgentRun("hv", "run"), samples::add, Clock.systemUTC(), new Random(3))) {
            DiscoveryLoop loop = new DiscoveryLoop(new SocketGlobSource(List.of(dir + "/*.sock")), scheduler::reconcile, interval);
            loop.start();
            try {
                awaitCondition(() -> sampled(scheduler, first.endpoint()));
                TestQmpServer second = serve("second.sock", "qemu-7.2-virtio-blk-backend-hung.txt");
                awaitCondition(() -> sampled(scheduler, second.endpoint()));
                first.close();
                awaitCondition(() -> scheduler.status().stream().map(VmStatus::endpoint).toList().equals(List.of(second.endpoint())));
            } finally {
                loop.close();
            }
        }
        assertTrue(samples.stream().allMatch(s -> TranscriptReplay.VM_UUID.equals(s.getVmUuid())), "VMs are identified by query-uuid");
    }

    private TestQmpServer serve(String socketName, String transcript) throws IOException {
        TestQmpServer server = TestQmpServer.unixAt(dir.resolve(socketName), TranscriptReplay.of(transcript));
        servers.add(server);
        return server;
    }

    private static boolean sampled(FleetScheduler scheduler, QmpEndpoint endpoint) {
        return scheduler.status().stream().anyMatch(s -> s.endpoint().equals(endpoint) && s.sampledSweeps() > 0);
    }

    private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
        long giveUp = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > giveUp) {
                throw new AssertionError("condition not reached");
            }
            Thread.sleep(10);
        }
    }
}
