package dev.virtiofleet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A verbatim QMP session with real QEMU: lines starting {@code >} were sent, {@code <} received.
 * Parsed into the greeting and one {@link Exchange} per command, with the events that arrived
 * before its response.
 */
public record Transcript(String name, JsonNode greeting, List<Exchange> exchanges) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One command and what came back for it. */
    public record Exchange(int lineNumber, JsonNode command, List<JsonNode> events, JsonNode response) {
        public String execute() {
            return command.path("execute").asText();
        }

        public JsonNode arguments() {
            return command.path("arguments");
        }

        public boolean isError() {
            return response.has("error");
        }
    }

    public static List<Transcript> all() {
        try (Stream<Path> files = Files.list(SharedFiles.transcriptsDir())) {
            return files.filter(f -> f.toString().endsWith(".txt")).sorted().map(Transcript::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Transcript named(String fileName) {
        return read(SharedFiles.transcriptsDir().resolve(fileName));
    }

    static Transcript read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            JsonNode greeting = null;
            List<Exchange> exchanges = new ArrayList<>();
            JsonNode command = null;
            int commandLine = 0;
            List<JsonNode> events = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) {
                    continue;
                }
                JsonNode json = JSON.readTree(line.substring(2));
                if (line.startsWith("> ")) {
                    command = json;
                    commandLine = i + 1;
                } else if (json.has("QMP")) {
                    greeting = json;
                } else if (json.has("event")) {
                    events.add(json);
                } else {
                    exchanges.add(new Exchange(commandLine, command, List.copyOf(events), json));
                    events.clear();
                }
            }
            return new Transcript(file.getFileName().toString(), greeting, List.copyOf(exchanges));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read transcript " + file, e);
        }
    }
}
