package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Optional;

/**
 * Recognises the message that is nearly all of a monitor's traffic, {@code {"return": <object or
 * array>, "id": <integer>}}, with one streaming pass that checks the JSON and builds no tree: the
 * return value stays bytes ({@link RawJson}) until someone reads it.
 */
record PlainReply(long id, RawJson value) {

    /**
     * The reply on {@code line}, or empty for anything else: events, errors, the greeting, other
     * members, malformed JSON. The caller parses those whole and reports what is wrong with them.
     */
    static Optional<PlainReply> scan(JsonFactory json, byte[] line) {
        try (JsonParser parser = json.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            RawJson value = null;
            Long id = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String member = parser.currentName();
                JsonToken token = parser.nextToken();
                if (member.equals("return") && value == null && (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY)) {
                    int start = (int) parser.currentTokenLocation().getByteOffset();
                    parser.skipChildren();
                    value = RawJson.of(line, start, (int) parser.currentLocation().getByteOffset());
                } else if (member.equals("id") && id == null && token == JsonToken.VALUE_NUMBER_INT
                        && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    id = parser.getLongValue();
                } else {
                    return Optional.empty();
                }
            }
            boolean wholeLine = parser.currentToken() == JsonToken.END_OBJECT && parser.nextToken() == null;
            return wholeLine && value != null && id != null ? Optional.of(new PlainReply(id, value)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
