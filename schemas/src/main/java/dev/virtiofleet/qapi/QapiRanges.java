package dev.virtiofleet.qapi;

import java.util.List;

/**
 * Range checks for QAPI's fixed-width integer types. Java has no unsigned types, so a QAPI
 * {@code uint16} lives in an {@code int} and a {@code uint32} in a {@code long}; these checks keep
 * impossible values (a ring index of 70000, a negative queue size) out of the records.
 */
final class QapiRanges {
    private QapiRanges() {}

    static int uint8(String member, int value) {
        return (int) check(member, value, 0xFFL, "uint8");
    }

    static int uint16(String member, int value) {
        return (int) check(member, value, 0xFFFFL, "uint16");
    }

    static long uint32(String member, long value) {
        return check(member, value, 0xFFFF_FFFFL, "uint32");
    }

    static <T> List<T> list(String member, List<T> values) {
        if (values == null) {
            throw new IllegalArgumentException("'" + member + "' is required (an array)");
        }
        return List.copyOf(values);
    }

    static <T> T required(String member, T value) {
        if (value == null) {
            throw new IllegalArgumentException("'" + member + "' is required");
        }
        return value;
    }

    private static long check(String member, long value, long max, String type) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException(
                    "'" + member + "' = " + value + " is outside " + type + " (0.." + max + ")");
        }
        return value;
    }
}
