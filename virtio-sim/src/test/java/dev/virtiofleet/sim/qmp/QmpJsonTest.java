package dev.virtiofleet.sim.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.virtiofleet.testing.SharedFiles;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Map;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class QmpJsonTest {
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS).build();

    @Test
    void writesEveryMessageQemuSentByteForByte() throws IOException {
        List<Path> transcripts;
        try (Stream<Path> files = Files.list(SharedFiles.transcriptsDir())) {
            transcripts = files.filter(f -> f.toString().endsWith(".txt")).sorted().toList();
        }
        int checked = 0;
        for (Path transcript : transcripts) {
            for (String line : Files.readAllLines(transcript)) {
                if (!line.startsWith("< ")) {
                    continue;
                }
                String sent = line.substring(2);
                JsonNode inserted = insertionOrder(JSON.readTree(sent));
                assertEquals(sent + "\r\n", new String(QmpJson.line(inserted), StandardCharsets.UTF_8),
                        transcript.getFileName() + " member order, spacing or numbers differ");
                checked++;
            }
        }
        assertEquals(true, checked > 300, "expected hundreds of QEMU messages, found " + checked);
    }

    // QEMU prints members sharing a hash bucket newest first; reversing what it printed gives back
    // the order it inserted them, which is the order our QAPI records hand them to the writer.
    private static JsonNode insertionOrder(JsonNode printed) {
        if (printed.isObject()) {
            ObjectNode inserted = JSON.createObjectNode();
            List<Map.Entry<String, JsonNode>> members = new ArrayList<>(printed.properties());
            members.reversed().forEach(m -> inserted.set(m.getKey(), insertionOrder(m.getValue())));
            return inserted;
        }
        if (printed.isArray()) {
            ArrayNode copy = JSON.createArrayNode();
            printed.forEach(element -> copy.add(insertionOrder(element)));
            return copy;
        }
        return printed;
    }

    @Test
    void escapesLikeQemu() {
        JsonNode value = JSON.createObjectNode().put("desc", "tab\there \"q\" \\ é \u0001");
        assertEquals("{\"desc\": \"tab\\there \\\"q\\\" \\\\ \\u00E9 \\u0001\"}", QmpJson.text(value));
    }
}
