package dev.virtiofleet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Comparator;

/** JSON tree equality where 5 as an int and 5 as a long are the same number. */
public final class JsonAssertions {
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private JsonAssertions() {}

    public static void assertSameJson(JsonNode expected, JsonNode actual, String message) {
        if (!expected.equals(SAME_VALUE, actual)) {
            fail(message + "\nexpected: " + expected + "\nactual:   " + actual);
        }
    }
}
