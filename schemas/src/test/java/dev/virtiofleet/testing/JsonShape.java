package dev.virtiofleet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares two QMP replies by shape: the same members at every level and the same JSON types,
 * values aside. What differs is listed by path, so a test failure says where.
 */
public final class JsonShape {
    private JsonShape() {}

    public static List<String> differences(JsonNode expected, JsonNode actual) {
        List<String> differences = new ArrayList<>();
        compare("", expected, actual, differences);
        return differences;
    }

    private static void compare(String path, JsonNode expected, JsonNode actual, List<String> out) {
        if (!kind(expected).equals(kind(actual))) {
            out.add((path.isEmpty() ? "(reply)" : path) + ": " + kind(expected) + " expected, " + kind(actual) + " found");
            return;
        }
        if (expected.isObject()) {
            Set<String> expectedKeys = keys(expected);
            Set<String> actualKeys = keys(actual);
            for (String key : expectedKeys) {
                if (!actualKeys.contains(key)) {
                    out.add(join(path, key) + ": missing");
                } else {
                    compare(join(path, key), expected.get(key), actual.get(key), out);
                }
            }
            actualKeys.stream().filter(k -> !expectedKeys.contains(k)).forEach(k -> out.add(join(path, k) + ": unexpected"));
        } else if (expected.isArray() && !expected.isEmpty() && !actual.isEmpty()) {
            compare(path + "[0]", expected.get(0), actual.get(0), out);
        }
    }

    private static String kind(JsonNode node) {
        if (node.isIntegralNumber()) {
            return "integer";
        }
        return node.getNodeType().name().toLowerCase();
    }

    private static Set<String> keys(JsonNode node) {
        Set<String> keys = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        return keys;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }
}
