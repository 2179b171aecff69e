package dev.virtiofleet.sim.qmp;

import static dev.virtiofleet.sim.qmp.Parameter.Type.STRING_LIST;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One client's QMP conversation with a VM, without any I/O: greeting, capabilities negotiation,
 * request checks and dispatch, with QEMU 7.2's error classes and texts. Not thread-safe; one
 * connection drives it.
 */
public final class QmpSession {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper READER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final String CAPABILITIES = "qmp_capabilities";
    private static final Set<String> REQUEST_MEMBERS = Set.of("execute", "exec-oob", "arguments", "id");

    private final QemuVersion version;
    private final Map<String, Command> commands = new LinkedHashMap<>();
    private boolean negotiated;

    public QmpSession(SimulatedVm vm, QemuVersion version) {
        this.version = version;
        commands.put(CAPABILITIES, new Command(CAPABILITIES, List.of(Parameter.optional("enable", STRING_LIST)),
                this::negotiate));
        commands.put("query-commands", new Command("query-commands", List.of(), args -> QmpReply.of(commandList())));
        new MachineCommands(vm, version).commands().forEach(c -> commands.put(c.name(), c));
        new VirtioQueries(vm).commands().forEach(c -> commands.put(c.name(), c));
    }

    /** What QEMU sends as soon as a client connects. */
    public JsonNode greeting() {
        ObjectNode greeting = JSON.objectNode();
        ObjectNode qmp = greeting.putObject("QMP");
        qmp.set("version", MachineCommands.versionJson(version));
        qmp.putArray("capabilities").add("oob");
        return greeting;
    }

    /** QEMU sends events only to clients that finished capabilities negotiation. */
    public boolean receivesEvents() {
        return negotiated;
    }

    /** Answers one JSON text the client sent. */
    public JsonNode handle(String request) {
        JsonNode parsed;
        try {
            parsed = READER.readTree(request);
        } catch (JsonProcessingException e) {
            return response(QmpReply.fail(QmpError.generic("JSON parse error, " + e.getOriginalMessage())), Optional.empty());
        }
        if (parsed == null || !parsed.isObject()) {
            return response(QmpReply.fail(QmpError.generic("QMP input must be a JSON object")), Optional.empty());
        }
        Optional<JsonNode> id = Optional.ofNullable(parsed.get("id"));
        return response(dispatch((ObjectNode) parsed), id);
    }

    /** Answers a request that exceeded the input limit, as QEMU's JSON streamer does. */
    public JsonNode rejectOversized() {
        return response(QmpReply.fail(QmpError.generic("JSON token size limit exceeded")), Optional.empty());
    }

    /** An event as QEMU writes it: timestamp, name and data (if any). */
    public static JsonNode event(VmEvent event) {
        ObjectNode json = JSON.objectNode();
        long micros = event.timestamp().getNano() / 1000;
        json.putObject("timestamp").put("seconds", event.timestamp().getEpochSecond()).put("microseconds", micros);
        json.put("event", event.name());
        if (!event.data().isEmpty()) {
            ObjectNode data = json.putObject("data");
            event.data().forEach(data::put);
        }
        return json;
    }

    private QmpReply dispatch(ObjectNode request) {
        for (Map.Entry<String, JsonNode> member : request.properties()) {
            String key = member.getKey();
            if (!REQUEST_MEMBERS.contains(key)) {
                return QmpReply.fail(QmpError.generic("QMP input member '" + key + "' is unexpected"));
            }
            if ((key.equals("execute") || key.equals("exec-oob")) && !member.getValue().isTextual()) {
                return QmpReply.fail(QmpError.generic("QMP input member '" + key + "' must be a string"));
            }
            if (key.equals("arguments") && !member.getValue().isObject()) {
                return QmpReply.fail(QmpError.generic("QMP input member 'arguments' must be an object"));
            }
        }
        if (request.has("exec-oob")) {
            return QmpReply.fail(QmpError.generic("The command " + request.get("exec-oob").textValue()
                    + " does not support OOB"));
        }
        if (!request.has("execute")) {
            return QmpReply.fail(QmpError.generic("QMP input lacks member 'execute'"));
        }
        String name = request.get("execute").textValue();
        Command command = commands.get(name);
        if (!negotiated && !CAPABILITIES.equals(name)) {
            // QEMU knows only qmp_capabilities before negotiation and rewrites CommandNotFound so.
            return QmpReply.fail(new QmpError(QmpError.COMMAND_NOT_FOUND,
                    "Expecting capabilities negotiation with 'qmp_capabilities'"));
        }
        if (command == null) {
            return QmpReply.fail(QmpError.commandNotFound(name));
        }
        JsonNode given = request.has("arguments") ? request.get("arguments") : JSON.objectNode();
        return switch (Arguments.check((ObjectNode) given, command.parameters())) {
            case Arguments.Invalid invalid -> QmpReply.fail(invalid.error());
            case Arguments.Valid valid -> command.handler().apply(valid.arguments());
        };
    }

    private QmpReply negotiate(Arguments args) {
        if (negotiated) {
            return QmpReply.fail(new QmpError(QmpError.COMMAND_NOT_FOUND,
                    "Capabilities negotiation is already complete, command ignored"));
        }
        for (String capability : args.strings("enable")) {
            if (!capability.equals("oob")) {
                return QmpReply.fail(QmpError.generic("Parameter 'enable' does not accept value '" + capability + "'"));
            }
        }
        negotiated = true;
        return QmpReply.of(JSON.objectNode());
    }

    private ArrayNode commandList() {
        ArrayNode list = JSON.arrayNode();
        List<String> names = new ArrayList<>(commands.keySet());
        names.forEach(name -> list.addObject().put("name", name));
        return list;
    }

    private static JsonNode response(QmpReply reply, Optional<JsonNode> id) {
        ObjectNode response = JSON.objectNode();
        switch (reply) {
            case QmpReply.Success success -> response.set("return", success.value());
            case QmpReply.Failure failure -> response.putObject("error")
                    .put("class", failure.error().errorClass())
                    .put("desc", failure.error().desc());
        }
        id.ifPresent(value -> response.set("id", value));
        return response;
    }
}
