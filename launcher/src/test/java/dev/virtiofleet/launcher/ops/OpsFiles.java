package dev.virtiofleet.launcher.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** Files of deploy/, grafana/ and docs/, and the real tools that check them. */
final class OpsFiles {
    static final ObjectMapper YAML = new YAMLMapper();
    static final ObjectMapper JSON = JsonMapper.builder().build();

    private OpsFiles() {}

    /** The repository root: Surefire passes it; from an IDE the launcher module's parent. */
    static Path project() {
        String dir = System.getProperty("virtiofleet.project.dir");
        Path root = dir != null ? Path.of(dir) : Path.of("").toAbsolutePath().getParent();
        if (!Files.isDirectory(root.resolve("deploy"))) {
            throw new IllegalStateException("no deploy/ under " + root + "; set -Dvirtiofleet.project.dir to the repository root");
        }
        return root.toAbsolutePath().normalize();
    }

    static JsonNode yaml(Path file) {
        try {
            return YAML.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every document of a multi-document YAML file, empty documents left out. */
    static List<JsonNode> yamlDocuments(Path file) {
        List<JsonNode> documents = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            var iterator = YAML.readValues(parser, JsonNode.class);
            while (iterator.hasNext()) {
                JsonNode document = iterator.next();
                if (document != null && !document.isNull() && !document.isMissingNode()) {
                    documents.add(document);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return documents;
    }

    /** Nested YAML as the flat dotted keys the streams configuration takes ({@code rest: {listen: x}} is {@code rest.listen=x}). */
    static List<Path> list(Path dir, String suffix) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Optional<Path> onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> Path.of(dir, tool))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Skips the test, saying why on stdout too, when a tool is not installed. */
    static void assumeTool(String tool, String installHint) {
        if (onPath(tool).isEmpty()) {
            String reason = tool + " is not installed (" + installHint + "); skipping";
            System.out.println("SKIPPED: " + reason);
            Assumptions.abort(reason);
        }
    }

    record Run(int exit, String output) {
        Run requireSuccess(String what) {
            if (exit != 0) {
                throw new AssertionError(what + " failed (exit " + exit + "):\n" + output);
            }
            return this;
        }
    }

    /** Runs a command to its end (stdout and stderr together), failing after {@code timeoutSeconds}. */
    static Run run(Path dir, long timeoutSeconds, String... command) {
        try {
            Path log = Files.createTempFile("ops-tool", ".log");
            try {
                Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", command) + " did not finish within " + timeoutSeconds + " s:\n"
                            + Files.readString(log, StandardCharsets.UTF_8));
                }
                return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", command), e);
        }
    }
}
