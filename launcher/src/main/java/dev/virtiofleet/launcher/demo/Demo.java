package dev.virtiofleet.launcher.demo;

import dev.virtiofleet.launcher.ScenarioChoice;
import dev.virtiofleet.qemu.RealQemuGuest;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioException;
import dev.virtiofleet.sim.scenario.ScenarioReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Optional;

/**
 * One run of {@code ./virtio-fleet demo}: takes the machine's demo lock, lays out a working
 * directory, runs the {@link DemoPipeline} and, at the end, removes what it created unless told to keep it.
 */
public final class Demo implements AutoCloseable {
    /** The scenario the demo runs unless given another. */
    public static final String BUILT_IN_SCENARIO = "demo.yaml";

    /**
     * What the user chose.
     *
     * @param dataDir keep everything here, across runs; empty: a temporary directory
     * @param keep keep the temporary directory at exit
     * @param prometheus also run the machine's Prometheus with the repository's rules, scraping the demo ({@link LocalPrometheus})
     */
    public record Options(Optional<String> scenario, Optional<Integer> vms, Optional<String> bootstrapServers, Optional<Path> dataDir,
            boolean keep, Duration pollInterval, Duration stallThreshold, boolean realGuest, boolean prometheus) {}

    private final DemoLock lock;
    private final Path workDir;
    private final boolean removeAtExit;
    private final DemoPipeline pipeline;
    private final PrintStream out;

    private Demo(DemoLock lock, Path workDir, boolean removeAtExit, DemoPipeline pipeline, PrintStream out) {
        this.lock = lock;
        this.workDir = workDir;
        this.removeAtExit = removeAtExit;
        this.pipeline = pipeline;
        this.out = out;
    }

    public static Demo start(Options options, PrintStream out) throws Exception {
        Scenario scenario = scenario(options);
        if (options.realGuest()) {
            RealQemuGuest.unavailableReason().ifPresent(reason -> {
                throw new IllegalStateException("--qemu needs a real QEMU here: " + reason);
            });
        }
        // Before anything starts: without the binary or the rules, say so and run nothing.
        Optional<LocalPrometheus.Installation> prometheus = options.prometheus() ? Optional.of(LocalPrometheus.Installation.find())
                : Optional.empty();
        DemoLock lock = DemoLock.acquire(Path.of(System.getProperty("java.io.tmpdir"), "virtio-fleet-demo.lock"));
        Path workDir;
        try {
            workDir = options.dataDir().isPresent() ? Files.createDirectories(options.dataDir().get())
                    : Files.createTempDirectory("virtio-fleet-demo-");
        } catch (IOException | RuntimeException e) {
            lock.close();
            throw e;
        }
        boolean removeAtExit = options.dataDir().isEmpty() && !options.keep();
        out.println("demo:    working in " + workDir + (removeAtExit ? " (removed at exit)" : " (kept)"));
        try {
            DemoPipeline pipeline = DemoPipeline.start(new DemoPipeline.Settings(scenario, options.bootstrapServers(), workDir,
                    workDir.resolve("qmp"), options.pollInterval(), options.stallThreshold(), (short) 1, options.realGuest(),
                    prometheus), out);
            out.println("demo:    running; Ctrl-C stops everything");
            return new Demo(lock, workDir, removeAtExit, pipeline, out);
        } catch (Exception e) {
            cleanUp(workDir, removeAtExit, out);
            lock.close();
            throw e;
        }
    }

    /** Where the demo's Prometheus answers, when it runs one ({@link Options#prometheus()}). */
    public Optional<URI> prometheusUrl() {
        return pipeline.prometheus().map(LocalPrometheus::url);
    }

    private static Scenario scenario(Options options) throws IOException {
        Scenario written;
        String name = options.scenario().orElse("the built-in demo");
        if (options.scenario().isPresent()) {
            written = ScenarioChoice.load(options.scenario().get());
        } else {
            try (InputStream in = Demo.class.getResourceAsStream(BUILT_IN_SCENARIO)) {
                written = new ScenarioReader().parse(BUILT_IN_SCENARIO, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (ScenarioException e) {
                throw new IllegalStateException("the built-in demo scenario is invalid: " + e.problems(), e);
            }
        }
        return ScenarioChoice.scaled(written, name, Optional.empty(), options.vms(), Optional.empty());
    }

    @Override
    public void close() throws IOException {
        try {
            pipeline.close();
            cleanUp(workDir, removeAtExit, out);
        } finally {
            lock.close();
        }
        out.println("demo:    stopped");
    }

    private static void cleanUp(Path workDir, boolean remove, PrintStream out) {
        if (!remove) {
            out.println("demo:    kept " + workDir);
            return;
        }
        try {
            Files.walkFileTree(workDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException failure) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("could not remove the demo's directory " + workDir + ": " + e.getMessage(), e);
        }
    }
}
