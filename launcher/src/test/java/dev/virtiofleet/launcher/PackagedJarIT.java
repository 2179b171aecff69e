package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code target/virtio-fleet.jar} with its {@code lib/}, run as {@code ./virtio-fleet}
 * runs it, outside the test classpath: a library the tests see but the jar lacks fails here. Each
 * command touches a different part: the simulator (YAML scenarios, QMP sockets), the agent's and
 * the detection application's configuration readers.
 */
class PackagedJarIT {
    private static final Path JAR = Path.of("target", "virtio-fleet.jar");

    @TempDir
    Path dir;

    @Test
    void versionAndHelpRun() throws Exception {
        Run version = run("version");
        assertEquals(0, version.exit(), version.output());
        assertTrue(version.output().startsWith("virtio-fleet "), version.output());
        Run help = run("demo", "--help");
        assertEquals(0, help.exit(), help.output());
        assertTrue(help.output().contains("--qemu"), help.output());
    }

    @Test
    void theSimulatorRunsABundledScenarioAndRemovesItsSockets() throws Exception {
        Path sockets = dir.resolve("qmp");
        Run sim = run("sim", "--scenario", "healthy", "--socket-dir", sockets.toString(), "--duration", "2s");
        assertEquals(0, sim.exit(), sim.output());
        assertTrue(sim.output().contains("sim: stopped; sockets removed"), sim.output());
    }

    @Test
    void theAgentAndStreamsConfigurationReadersWork() throws Exception {
        Path agentConfig = Files.writeString(dir.resolve("agent.yaml"), "poll:\n  interval: sometimes\n");
        Run agent = run("agent", "--config", agentConfig.toString());
        assertEquals(2, agent.exit(), agent.output());
        assertTrue(agent.output().contains("'poll.interval'"), agent.output());

        Path streamsConfig = Files.writeString(dir.resolve("streams.yaml"), "bootstrap-servers: localhost:9092\nrest: {lisen: x}\n");
        Run streams = run("streams", "--config", streamsConfig.toString());
        assertEquals(2, streams.exit(), streams.output());
        assertTrue(streams.output().contains("'rest.lisen'"), streams.output());
    }

    private record Run(int exit, String output) {}

    private Run run(String... args) throws IOException, InterruptedException {
        assertTrue(Files.isRegularFile(JAR), JAR.toAbsolutePath() + " is built in the package phase, before this test");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-jar", JAR.toString()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "out", ".txt");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            assertTrue(process.waitFor(120, TimeUnit.SECONDS), "finished within 2 minutes: " + String.join(" ", args));
        } finally {
            process.destroyForcibly();
        }
        return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
