package dev.virtiofleet.launcher.demo;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The machine's own Prometheus (Debian package {@code prometheus}) as a child process of the demo,
 * with the repository's alerting and recording rules ({@code deploy/prometheus/rules/}) and a
 * scrape configuration written for the demo's real ports: each agent's /metrics with
 * {@code instance} set to its host name (as the production config's relabelling makes it), and the
 * detection app's /metrics. Its configuration, data and log are in a directory of the demo's; it
 * listens on a free port of 127.0.0.1 and stops (SIGTERM) when closed.
 */
public final class LocalPrometheus implements AutoCloseable {
    /** Scrape and evaluation interval: short, so that the demo's graphs and alerts move. */
    public static final Duration INTERVAL = Duration.ofSeconds(5);
    static final String AGENT_JOB = "virtio-fleet-agent";
    static final String STREAMS_JOB = "virtio-fleet-streams";
    private static final Path RULES = Path.of("deploy", "prometheus", "rules");
    private static final Duration READY_WITHIN = Duration.ofSeconds(60);
    private static final Duration STOP_WITHIN = Duration.ofSeconds(20);
    private static final int PORT_ATTEMPTS = 3;

    /**
     * A Prometheus binary and the rule files to give it, found before the demo starts anything.
     *
     * @param ruleFiles deploy/prometheus/rules/*.yml of the repository, absolute
     */
    public record Installation(Path binary, List<Path> ruleFiles) {
        /**
         * The {@code prometheus} on PATH (else /usr/bin/prometheus), and the rules of the checkout
         * the launcher runs from: the first {@code deploy/prometheus/rules/} in a directory above
         * the launcher's own jar or classes ({@code <checkout>/launcher/target/virtio-fleet.jar}
         * however the command is started), else above the working directory (a jar copied
         * elsewhere, run from a checkout).
         *
         * @throws IllegalStateException naming what is missing, in one line
         */
        public static Installation find() {
            Path binary = onPath().orElseThrow(() -> new IllegalStateException(
                    "--prometheus: no prometheus binary on PATH or at /usr/bin/prometheus (Debian: apt-get install prometheus)"));
            List<Path> starts = new ArrayList<>();
            launcherLocation().ifPresent(starts::add);
            starts.add(Path.of("").toAbsolutePath());
            for (Path start : starts) {
                for (Path dir = start; dir != null; dir = dir.getParent()) {
                    List<Path> rules = ruleFiles(dir.resolve(RULES));
                    if (!rules.isEmpty()) {
                        return new Installation(binary, rules);
                    }
                }
            }
            throw new IllegalStateException("--prometheus: no " + RULES + "/*.yml above " + starts.stream().map(Path::toString)
                    .distinct().reduce((a, b) -> a + " or " + b).orElseThrow() + "; run the launcher of a virtio-fleet checkout");
        }

        private static Optional<Path> onPath() {
            return Stream.concat(Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)), Stream.of("/usr/bin"))
                    .filter(dir -> !dir.isEmpty())
                    .map(dir -> Path.of(dir, "prometheus"))
                    .filter(Files::isExecutable)
                    .findFirst();
        }

        private static Optional<Path> launcherLocation() {
            try {
                return Optional.of(Path.of(LocalPrometheus.class.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | RuntimeException e) {
                return Optional.empty();
            }
        }

        private static List<Path> ruleFiles(Path dir) {
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> files = Files.list(dir)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".yml") && Files.isRegularFile(f))
                        .map(f -> f.toAbsolutePath().normalize()).sorted().toList();
            } catch (IOException e) {
                return List.of();
            }
        }
    }

    private final Process process;
    private final URI url;

    private LocalPrometheus(Process process, URI url) {
        this.process = process;
        this.url = url;
    }

    /**
     * Starts Prometheus in {@code dir} and returns once it answers /-/ready.
     *
     * @param agents host name to the address (host:port) of that host's agent /metrics
     * @param streams the detection app's REST address (host:port), which serves /metrics
     */
    static LocalPrometheus start(Installation installation, Path dir, Map<String, String> agents, String streams) throws IOException {
        Files.createDirectories(dir);
        Path config = Files.writeString(dir.resolve("prometheus.yml"), config(installation, agents, streams));
        Path log = dir.resolve("prometheus.log");
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            Process process = new ProcessBuilder(installation.binary().toString(),
                    "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port,
                    "--log.level=warn")
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            URI url = URI.create("http://127.0.0.1:" + port);
            LocalPrometheus prometheus = new LocalPrometheus(process, url);
            try {
                if (prometheus.awaitReady()) {
                    return prometheus;
                }
            } catch (RuntimeException e) {
                prometheus.close();
                throw e;
            }
            String state = process.isAlive() ? "not ready within " + READY_WITHIN.toSeconds() + " s" : "exit " + process.exitValue();
            prometheus.close();
            String output = Files.readString(log, StandardCharsets.UTF_8);
            // The free port can be taken between our probe and Prometheus' bind: try another.
            if (!output.contains("address already in use") || attempt == PORT_ATTEMPTS) {
                throw new IllegalStateException("prometheus did not start (" + state + "): " + lastLine(output));
            }
        }
    }

    /** What Prometheus reads: the demo's targets, every 5 s, with the repository's rule files. */
    static String config(Installation installation, Map<String, String> agents, String streams) {
        StringBuilder yaml = new StringBuilder("""
                # Written by virtio-fleet demo --prometheus for this run; removed with the demo's directory.
                global:
                  scrape_interval: %1$ds
                  scrape_timeout: %2$ds
                  evaluation_interval: %1$ds
                rule_files:
                """.formatted(INTERVAL.toSeconds(), INTERVAL.toSeconds() - 1));
        installation.ruleFiles().forEach(file -> yaml.append("  - ").append(quoted(file.toString())).append('\n'));
        yaml.append("scrape_configs:\n");
        yaml.append("  - job_name: ").append(AGENT_JOB).append("\n    static_configs:\n");
        // instance = the host, as deploy/prometheus/prometheus.yml's relabelling makes it on real hypervisors.
        agents.forEach((host, address) -> yaml.append("      - targets: [").append(quoted(address)).append("]\n")
                .append("        labels: {instance: ").append(quoted(host)).append("}\n"));
        yaml.append("  - job_name: ").append(STREAMS_JOB).append("\n    static_configs:\n")
                .append("      - targets: [").append(quoted(streams)).append("]\n");
        return yaml.toString();
    }

    private static String quoted(String value) {
        return "'" + value.replace("'", "''") + "'";
    }

    public URI url() {
        return url;
    }

    private boolean awaitReady() {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest ready = HttpRequest.newBuilder(url.resolve("/-/ready")).timeout(Duration.ofSeconds(5)).build();
        long giveUp = System.nanoTime() + READY_WITHIN.toNanos();
        while (System.nanoTime() < giveUp && process.isAlive()) {
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return true;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for prometheus", e);
            }
            try {
                process.waitFor(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for prometheus", e);
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static String lastLine(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "(no output)" : lines.getLast();
    }

    /** SIGTERM, as systemd would stop it; SIGKILL if it has not finished within 20 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(STOP_WITHIN.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(STOP_WITHIN.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
