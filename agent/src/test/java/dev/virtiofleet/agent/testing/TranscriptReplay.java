package dev.virtiofleet.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.agent.qmp.ReadOnlyCommands;
import dev.virtiofleet.testing.Transcript;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Plays a verbatim QEMU transcript back as a monitor: each command received is answered with the
 * transcript's reply for the same command and arguments, preceded by the events that arrived with
 * it. A command recorded more than once gets its replies in recorded order, the last one repeating.
 * Identity and capability queries the transcripts lack are answered with plausible values.
 */
public final class TranscriptReplay implements TestQmpServer.Session {
    public static final String VM_NAME = "guest-01";
    public static final String VM_UUID = "2f3c8a9e-63f6-4d2b-9a1e-6a0d3c7b5e41";

    /** One scripted answer. */
    public record Scripted(List<JsonNode> events, JsonNode response) {}

    private record Key(String execute, JsonNode arguments) {
        static Key of(String execute, JsonNode arguments) {
            ObjectNode normalized = arguments != null && arguments.isObject()
                    ? (ObjectNode) arguments.deepCopy() : JsonNodeFactory.instance.objectNode();
            return new Key(execute, normalized);
        }
    }

    private final String greeting;
    private final Map<Key, List<Scripted>> recorded = new LinkedHashMap<>();
    // Tests change answers between sweeps while the server thread answers.
    private final Map<Key, Scripted> overrides = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Integer> heldUntil = new LinkedHashMap<>();

    private TranscriptReplay(Transcript transcript) {
        this.greeting = transcript.greeting().toString();
        for (Transcript.Exchange exchange : transcript.exchanges()) {
            recorded.computeIfAbsent(Key.of(exchange.execute(), exchange.arguments()), k -> new ArrayList<>())
                    .add(new Scripted(exchange.events(), exchange.response()));
        }
        answer(ReadOnlyCommands.QUERY_NAME, null, QmpScripts.json("{\"return\": {\"name\": \"" + VM_NAME + "\"}}"));
        answer(ReadOnlyCommands.QUERY_UUID, null, QmpScripts.json("{\"return\": {\"UUID\": \"" + VM_UUID + "\"}}"));
        ArrayNodeBuilder commands = new ArrayNodeBuilder();
        ReadOnlyCommands.ALLOWED.forEach(commands::add);
        List.of("stop", "cont", "quit", "device_del").forEach(commands::add);
        answer(ReadOnlyCommands.QUERY_COMMANDS, null, commands.asReturn());
    }

    public static TranscriptReplay of(String transcriptFile) {
        return new TranscriptReplay(Transcript.named(transcriptFile));
    }

    /** Answers query-name with {@code name} and query-uuid with a UUID derived from it: one VM among many. */
    public TranscriptReplay named(String name) {
        return answer(ReadOnlyCommands.QUERY_NAME, null, QmpScripts.json("{\"return\": {\"name\": \"" + name + "\"}}"))
                .answer(ReadOnlyCommands.QUERY_UUID, null, QmpScripts.json("{\"return\": {\"UUID\": \""
                        + UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)) + "\"}}"));
    }

    /** Answers {@code execute} with {@code arguments} by {@code response} from now on. */
    public TranscriptReplay answer(String execute, JsonNode arguments, JsonNode response) {
        return answer(execute, arguments, List.of(), response);
    }

    public TranscriptReplay answer(String execute, JsonNode arguments, List<JsonNode> events, JsonNode response) {
        overrides.put(Key.of(execute, arguments), new Scripted(List.copyOf(events), response));
        return this;
    }

    /**
     * Answers no {@code execute} command until {@code count} of them have arrived, then all at once:
     * a client that waits for one answer before sending the next command stalls on this.
     */
    public TranscriptReplay holdingAnswers(String execute, int count) {
        heldUntil.put(execute, count);
        return this;
    }

    /** The transcript's first answer to {@code execute} with {@code arguments}. */
    public Scripted recorded(String execute, JsonNode arguments) {
        List<Scripted> answers = recorded.get(Key.of(execute, arguments));
        if (answers == null) {
            throw new IllegalArgumentException("transcript has no " + execute + " " + arguments);
        }
        return answers.get(0);
    }

    @Override
    public void run(TestQmpServer.Client client) throws IOException {
        Map<Key, Deque<Scripted>> remaining = new LinkedHashMap<>();
        recorded.forEach((key, answers) -> remaining.put(key, new ArrayDeque<>(answers)));
        Map<String, List<JsonNode>> held = new LinkedHashMap<>();
        client.sendLine(greeting);
        while (true) {
            Optional<JsonNode> command = client.readCommand();
            if (command.isEmpty()) {
                return;
            }
            String execute = command.get().path("execute").asText();
            if (!heldUntil.containsKey(execute)) {
                answer(client, remaining, command.get());
                continue;
            }
            List<JsonNode> waiting = held.computeIfAbsent(execute, e -> new ArrayList<>());
            waiting.add(command.get());
            if (waiting.size() == heldUntil.get(execute)) {
                for (JsonNode each : waiting) {
                    answer(client, remaining, each);
                }
                waiting.clear();
            }
        }
    }

    private void answer(TestQmpServer.Client client, Map<Key, Deque<Scripted>> remaining, JsonNode command) throws IOException {
        Scripted answer = answerFor(remaining, command);
        for (JsonNode event : answer.events()) {
            client.send(event);
        }
        client.reply(command, answer.response());
    }

    private Scripted answerFor(Map<Key, Deque<Scripted>> remaining, JsonNode command) {
        Key key = Key.of(command.path("execute").asText(), command.get("arguments"));
        if (overrides.containsKey(key)) {
            return overrides.get(key);
        }
        if (key.execute().equals(ReadOnlyCommands.QMP_CAPABILITIES)) {
            return new Scripted(List.of(), QmpScripts.json("{\"return\": {}}"));
        }
        Deque<Scripted> answers = remaining.get(key);
        if (answers == null) {
            return new Scripted(List.of(), QmpScripts.json("{\"error\": {\"class\": \"GenericError\", \"desc\": "
                    + "\"replay: the transcript has no answer for " + key.execute() + " " + key.arguments().toString().replace("\"", "'") + "\"}}"));
        }
        return answers.size() > 1 ? answers.poll() : answers.peek();
    }

    /** Builds {@code {"return": [{"name": ...}, ...]}} for query-commands. */
    private static final class ArrayNodeBuilder {
        private final com.fasterxml.jackson.databind.node.ArrayNode names = JsonNodeFactory.instance.arrayNode();

        void add(String name) {
            names.addObject().put("name", name);
        }

        JsonNode asReturn() {
            ObjectNode reply = JsonNodeFactory.instance.objectNode();
            reply.set("return", names);
            return reply;
        }
    }
}
