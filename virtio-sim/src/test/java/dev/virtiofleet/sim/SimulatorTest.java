package dev.virtiofleet.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.ManualClock;
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
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SimulatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private Path dir;

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vsim");
    }

    @AfterEach
    void deleteDir() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void oneThreadServesAHostFullOfVms() throws IOException {
        List<VmSpec> vms = IntStream.range(0, 200)
                .mapToObj(i -> ReferenceMachines.transcriptGuest("vm-" + i, UUID.randomUUID(), NetOptions.defaults()))
                .toList();
        try (Simulator host = Simulator.start(dir, clock, vms)) {
            for (int i = 0; i < 200; i += 13) {
                assertEquals("vm-" + i, ask(host.socket("vm-" + i), "query-name").at("/return/name").asText());
            }
            assertEquals(200, host.vms().size());
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(0, left.count(), "sockets are removed on close");
        }
    }

    @Test
    void badNamesAndOverlongSocketPathsAreRejectedUpFront() {
        VmSpec slashed = ReferenceMachines.transcriptGuest("a/b", UUID.randomUUID(), NetOptions.defaults());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> Simulator.start(dir, clock, List.of(slashed)));
        assertTrue(bad.getMessage().contains("a/b"), bad.getMessage());
        VmSpec longName = ReferenceMachines.transcriptGuest("v".repeat(120), UUID.randomUUID(), NetOptions.defaults());
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> Simulator.start(dir, clock, List.of(longName)));
        assertTrue(tooLong.getMessage().contains("at most 107"), tooLong.getMessage());
        assertFalse(Files.exists(dir.resolve("a")));
    }

    private static JsonNode ask(Path socket, String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                    StandardCharsets.UTF_8));
            OutputStream out = Channels.newOutputStream(channel);
            in.readLine();
            out.write(("{\"execute\": \"qmp_capabilities\"}\n{\"execute\": \"" + command + "\"}\n")
                    .getBytes(StandardCharsets.UTF_8));
            in.readLine();
            return JSON.readTree(in.readLine());
        }
    }
}
