package dev.virtiofleet.testing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a QAPI schema file: JSON-like definitions with single quotes and {@code #} comments, the
 * comments holding the documentation and its {@code qmp-example} blocks.
 */
public record QapiSchema(Map<String, Struct> structs, List<Example> examples) {
    private static final ObjectMapper QAPI = JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_SINGLE_QUOTES)
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A struct and its members; {@code optional} members were written {@code *name}. */
    public record Struct(String name, List<Member> members) {}

    public record Member(String name, boolean optional, String type) {}

    /** A documented exchange: the command sent and the reply shown. */
    public record Example(int lineNumber, JsonNode command, JsonNode reply) {
        public String execute() {
            return command.path("execute").asText();
        }
    }

    public static QapiSchema read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return new QapiSchema(structs(lines), examples(lines));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read QAPI schema " + file, e);
        }
    }

    private static Map<String, Struct> structs(List<String> lines) throws IOException {
        StringBuilder definitions = new StringBuilder();
        for (String line : lines) {
            if (!line.stripLeading().startsWith("#")) {
                definitions.append(line).append('\n');
            }
        }
        Map<String, Struct> structs = new LinkedHashMap<>();
        try (JsonParser parser = QAPI.createParser(definitions.toString());
                MappingIterator<JsonNode> it = QAPI.readValues(parser, JsonNode.class)) {
            while (it.hasNext()) {
                JsonNode definition = it.next();
                if (definition.has("struct")) {
                    List<Member> members = new ArrayList<>();
                    definition.path("data").properties().forEach(e -> {
                        boolean optional = e.getKey().startsWith("*");
                        String type = e.getValue().isArray() ? "[" + e.getValue().get(0).asText() + "]" : e.getValue().asText();
                        members.add(new Member(optional ? e.getKey().substring(1) : e.getKey(), optional, type));
                    });
                    String name = definition.get("struct").asText();
                    structs.put(name, new Struct(name, List.copyOf(members)));
                }
            }
        }
        return structs;
    }

    /** Pulls "-> command" / "<- reply" pairs out of the comment blocks. */
    private static List<Example> examples(List<String> lines) throws IOException {
        List<Example> examples = new ArrayList<>();
        JsonNode command = null;
        int i = 0;
        while (i < lines.size()) {
            String text = commentText(lines.get(i));
            if (text.startsWith("-> ") || text.startsWith("<- ")) {
                int start = i;
                StringBuilder json = new StringBuilder(text.substring(3));
                i++;
                while (i < lines.size() && continues(commentText(lines.get(i)), lines.get(i))) {
                    json.append(commentText(lines.get(i))).append('\n');
                    i++;
                }
                JsonNode node = JSON.readTree(json.toString());
                if (text.startsWith("-> ")) {
                    command = node;
                } else if (command != null) {
                    examples.add(new Example(start + 1, command, node));
                }
                continue;
            }
            i++;
        }
        return List.copyOf(examples);
    }

    private static boolean continues(String text, String line) {
        return line.stripLeading().startsWith("#") && !text.isBlank() && !text.startsWith("-> ") && !text.startsWith("<- ")
                && !text.startsWith("..") && !text.startsWith("Since:");
    }

    private static String commentText(String line) {
        String stripped = line.stripLeading();
        return stripped.startsWith("#") ? stripped.substring(1).strip() : "";
    }
}
