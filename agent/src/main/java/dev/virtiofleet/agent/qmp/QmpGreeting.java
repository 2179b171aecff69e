package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The monitor's greeting: {@code {"QMP": {"version": ..., "capabilities": [...]}}}. */
public record QmpGreeting(QemuVersion version, List<String> capabilities) {

    public QmpGreeting {
        capabilities = List.copyOf(capabilities);
    }

    static QmpGreeting parse(JsonNode greeting) throws QmpProtocolException {
        JsonNode qmp = greeting.path("QMP");
        JsonNode version = qmp.path("version");
        JsonNode qemu = version.path("qemu");
        if (!qemu.path("major").isIntegralNumber() || !qemu.path("minor").isIntegralNumber()
                || !qemu.path("micro").isIntegralNumber()) {
            throw new QmpProtocolException("greeting without a QEMU version: " + Abbreviate.json(greeting));
        }
        List<String> capabilities = new ArrayList<>();
        qmp.path("capabilities").forEach(c -> capabilities.add(c.asText()));
        return new QmpGreeting(
                new QemuVersion(qemu.get("major").asInt(), qemu.get("minor").asInt(), qemu.get("micro").asInt(),
                        version.path("package").asText("").strip()),
                capabilities);
    }
}
