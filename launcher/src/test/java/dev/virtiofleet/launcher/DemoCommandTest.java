package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ./virtio-fleet demo} as a user runs it: its own process, a real broker inside it, the live
 * view on stdout, SIGTERM to stop. A short scenario hangs one disk backend and recovers it.
 */
class DemoCommandTest {
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final Pattern WORK_DIR = Pattern.compile("demo: +working in (\\S+) \\(removed at exit\\)");

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopEverything() throws Exception {
        for (Process process : started) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void theDemoShowsTheStallFiringAndResolvingRefusesASecondDemoAndCleansUpOnSigterm() throws Exception {
        String scenario = Path.of("src/test/resources/demo/short-hang.yaml").toAbsolutePath().toString();
        Output first = start("demo", "--scenario", scenario, "--poll-interval", "1s", "--stall-threshold", "4s");

        Path workDir = Path.of(match(first.await(line -> WORK_DIR.matcher(line).find()), WORK_DIR));
        first.await(line -> line.contains("demo:    running"));

        Output second = start("demo", "--scenario", scenario);
        String refusal = second.await(line -> line.contains("another virtio-fleet demo is running"));
        assertTrue(refusal.contains("virtio-fleet demo:"), "one clear line: " + refusal);
        assertTrue(second.process.waitFor(30, TimeUnit.SECONDS));
        assertEquals(VirtioFleet.EXIT_USAGE, second.process.exitValue());

        String firing = first.await(line -> line.contains("FIRING") && line.contains("queue stalled"));
        assertTrue(firing.contains("hv-01/db-1 virtio-blk q0"), firing);
        String resolved = first.await(line -> line.contains("RESOLVED") && line.contains("queue stalled"));
        assertTrue(resolved.contains("hv-01/db-1 virtio-blk q0"), resolved);

        // SIGTERM, as systemd or Ctrl-C would; through the handle, since Process.destroy() also closes our end of its output.
        first.process.toHandle().destroy();
        assertTrue(first.process.waitFor(60, TimeUnit.SECONDS), "stops within a minute of SIGTERM");
        first.await(line -> line.contains("demo:    stopped"));
        assertEquals(143, first.process.exitValue(), "128 + SIGTERM, the convention scripts test for");
        assertFalse(Files.exists(workDir), "the demo removed its working directory " + workDir);
        List<String> firings = first.lines().stream().filter(line -> line.contains(" FIRING ")).toList();
        assertEquals(1, firings.size(), "nothing but the hung backend alerted: " + firings);
    }

    private Output start(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                "-cp", System.getProperty("java.class.path"), VirtioFleet.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        started.add(process);
        return new Output(process);
    }

    private static String match(String line, Pattern pattern) {
        Matcher matcher = pattern.matcher(line);
        assertTrue(matcher.find(), line);
        return matcher.group(1);
    }

    /** Every line a process printed, as it prints them. */
    private static final class Output {
        final Process process;
        private final BlockingQueue<String> unread = new LinkedBlockingQueue<>();
        private final List<String> all = new ArrayList<>();

        Output(Process process) {
            this.process = process;
            Thread.ofVirtual().start(() -> {
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    reader.lines().forEach(unread::add);
                } catch (java.io.IOException | java.io.UncheckedIOException e) {
                    unread.add("(output closed: " + e + ")");
                }
            });
        }

        /** The first unread line that matches, after every line before it. */
        String await(Predicate<String> wanted) throws InterruptedException {
            long giveUp = System.nanoTime() + PATIENCE.toNanos();
            while (System.nanoTime() < giveUp) {
                String line = unread.poll(200, TimeUnit.MILLISECONDS);
                if (line != null) {
                    synchronized (all) {
                        all.add(line);
                    }
                    if (wanted.test(line)) {
                        return line;
                    }
                }
            }
            throw new AssertionError("no such line within " + PATIENCE + "; printed so far:\n" + String.join("\n", lines()));
        }

        List<String> lines() {
            synchronized (all) {
                return List.copyOf(all);
            }
        }
    }
}
