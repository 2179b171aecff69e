package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares a simulated QMP reply with QEMU's: same members, same JSON types, equal values except
 * where QEMU's values depend on how long the guest ran or where it put its rings; for those,
 * the same zero/non-zero-ness and the same relations between ring indices.
 */
final class ReplyShape {
    // Guest-physical addresses: depend on the guest's allocator, not on the device model.
    private static final Set<String> ADDRESSES = Set.of("vring-desc", "vring-avail", "vring-used", "seconds",
            "microseconds");
    // Free-running ring indices: depend on how much I/O the guest did before the query.
    private static final Set<String> RING_POSITIONS = Set.of("last-avail-idx", "shadow-avail-idx", "used-idx",
            "signalled-used", "idx", "ring", "index");

    private ReplyShape() {}

    static List<String> differences(JsonNode expected, JsonNode actual) {
        List<String> problems = new ArrayList<>();
        compare("", expected, actual, problems);
        relations(expected, actual, problems);
        return problems;
    }

    private static void compare(String path, JsonNode expected, JsonNode actual, List<String> problems) {
        if (expected.getNodeType() != actual.getNodeType()) {
            problems.add(path + ": type " + actual.getNodeType() + " but QEMU sends " + expected.getNodeType());
            return;
        }
        String member = path.substring(path.lastIndexOf('.') + 1);
        switch (expected.getNodeType()) {
            case OBJECT -> {
                Set<String> expectedKeys = names(expected);
                Set<String> actualKeys = names(actual);
                if (!expectedKeys.equals(actualKeys)) {
                    problems.add(path + ": members " + actualKeys + " but QEMU sends " + expectedKeys);
                    return;
                }
                expectedKeys.forEach(k -> compare(path + "." + k, expected.get(k), actual.get(k), problems));
            }
            case ARRAY -> {
                if (expected.size() != actual.size()) {
                    problems.add(path + ": " + actual.size() + " elements but QEMU sends " + expected.size()
                            + "\n  QEMU: " + expected + "\n  sim:  " + actual);
                    return;
                }
                for (int i = 0; i < expected.size(); i++) {
                    compare(path + "[" + i + "]", expected.get(i), actual.get(i), problems);
                }
            }
            case NUMBER -> {
                if (ADDRESSES.contains(member)) {
                    return;
                }
                boolean same = RING_POSITIONS.contains(member)
                        ? (expected.bigIntegerValue().signum() == 0) == (actual.bigIntegerValue().signum() == 0)
                        : expected.bigIntegerValue().equals(actual.bigIntegerValue());
                if (!same) {
                    problems.add(path + ": " + actual + " but QEMU sends " + expected);
                }
            }
            default -> {
                if (!expected.equals(actual)) {
                    problems.add(path + ": " + actual + " but QEMU sends " + expected);
                }
            }
        }
    }

    private static Set<String> names(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    // Whatever the absolute positions, the relations between a ring's indices are the device's state.
    private static void relations(JsonNode expected, JsonNode actual, List<String> problems) {
        JsonNode e = expected.path("return");
        JsonNode a = actual.path("return");
        if (e.has("vring-desc")) {
            // Where the guest put a ring varies; how its three parts sit relative to each other does not.
            long expectedAvail = e.path("vring-avail").asLong() - e.path("vring-desc").asLong();
            long actualAvail = a.path("vring-avail").asLong() - a.path("vring-desc").asLong();
            long expectedUsed = e.path("vring-used").asLong() - e.path("vring-avail").asLong();
            long actualUsed = a.path("vring-used").asLong() - a.path("vring-avail").asLong();
            if (expectedAvail != actualAvail || expectedUsed != actualUsed) {
                problems.add("ring layout: avail at desc+" + actualAvail + ", used at avail+" + actualUsed
                        + " but QEMU shows desc+" + expectedAvail + ", avail+" + expectedUsed);
            }
        }
        if (e.has("used-idx") && e.has("shadow-avail-idx")) {
            relation("shadow-avail-idx vs last-avail-idx", e, a, "shadow-avail-idx", "last-avail-idx", problems);
            relation("last-avail-idx vs used-idx", e, a, "last-avail-idx", "used-idx", problems);
            relation("used-idx vs signalled-used", e, a, "used-idx", "signalled-used", problems);
        }
        if (e.has("avail") && e.has("used")) {
            // Buffers the driver has out (posted pools, held statistics): fixed by the driver, not by history.
            int expectedOut = (e.path("avail").path("idx").asInt() - e.path("used").path("idx").asInt()) & 0xFFFF;
            int actualOut = (a.path("avail").path("idx").asInt() - a.path("used").path("idx").asInt()) & 0xFFFF;
            if (expectedOut != actualOut) {
                problems.add("avail.idx - used.idx: " + actualOut + " but QEMU shows " + expectedOut);
            }
        }
    }

    private static void relation(String what, JsonNode e, JsonNode a, String left, String right, List<String> problems) {
        int expected = Integer.signum(((e.path(left).asInt() - e.path(right).asInt()) << 16) >> 16);
        int actual = Integer.signum(((a.path(left).asInt() - a.path(right).asInt()) << 16) >> 16);
        if (expected != actual) {
            problems.add(what + ": sign " + actual + " but QEMU shows " + expected);
        }
    }
}
