package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** What a command produced: a {@code return} value or an error. */
public sealed interface QmpReply {
    record Success(JsonNode value) implements QmpReply {}

    record Failure(QmpError error) implements QmpReply {}

    static QmpReply of(JsonNode value) {
        return new Success(value);
    }

    static QmpReply fail(QmpError error) {
        return new Failure(error);
    }
}
