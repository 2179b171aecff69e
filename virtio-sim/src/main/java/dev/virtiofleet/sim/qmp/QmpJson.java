package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes JSON byte for byte as QEMU's {@code qobject_to_json} does: {@code ", "} and {@code ": "}
 * separators, non-ASCII escaped as {@code \\uXXXX}, and object members in QDict order, which is
 * the order of QDict's hash buckets (QEMU iterates its hash table), newest first within a bucket.
 * Give members in QAPI schema order, the order QEMU inserts them; Jackson writes records so.
 */
public final class QmpJson {
    private static final int QDICT_BUCKETS = 512;
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    private static final int MAX_CACHED_NAMES = 1024;
    // Member names repeat endlessly (a few dozen QAPI names); hash each once.
    private static final Map<String, Integer> BUCKETS = new ConcurrentHashMap<>();

    private QmpJson() {}

    /** One QMP line: the JSON text and the {@code \r\n} QEMU ends each message with. */
    public static byte[] line(JsonNode message) {
        StringBuilder out = new StringBuilder(4096);
        write(message, out);
        out.append("\r\n");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static String text(JsonNode value) {
        StringBuilder out = new StringBuilder(256);
        write(value, out);
        return out.toString();
    }

    private static void write(JsonNode node, StringBuilder out) {
        switch (node.getNodeType()) {
            case OBJECT -> writeObject(node, out);
            case ARRAY -> {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    out.append(i == 0 ? "" : ", ");
                    write(node.get(i), out);
                }
                out.append(']');
            }
            case STRING -> writeString(node.textValue(), out);
            case NUMBER -> out.append(node.numberValue() instanceof Double d ? doubleText(d) : node.asText());
            case BOOLEAN -> out.append(node.booleanValue());
            default -> out.append("null");
        }
    }

    private static void writeObject(JsonNode node, StringBuilder out) {
        List<Map.Entry<String, JsonNode>> ordered = new ArrayList<>(node.properties()).reversed();
        ordered.sort(Comparator.comparingInt(e -> bucket(e.getKey())));
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> member : ordered) {
            out.append(first ? "" : ", ");
            first = false;
            writeString(member.getKey(), out);
            out.append(": ");
            write(member.getValue(), out);
        }
        out.append('}');
    }

    static int bucket(String key) {
        Integer cached = BUCKETS.get(key);
        if (cached != null) {
            return cached;
        }
        int bucket = tdbHashBucket(key);
        // Clients' "id" objects can bring any member names; only a bounded number is remembered.
        if (BUCKETS.size() < MAX_CACHED_NAMES) {
            BUCKETS.put(key, bucket);
        }
        return bucket;
    }

    // QEMU's qdict tdb_hash, reduced to a bucket.
    private static int tdbHashBucket(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        int value = 0x238F13AF * bytes.length;
        for (int i = 0; i < bytes.length; i++) {
            value += (bytes[i] & 0xFF) << (i * 5 % 24);
        }
        return Integer.remainderUnsigned(1103515243 * value + 12345, QDICT_BUCKETS);
    }

    private static void writeString(String text, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    // QEMU escapes each UTF-16 unit of a non-ASCII character, surrogates included.
                    if (c < 0x20 || c >= 0x7F) {
                        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
                                .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static String doubleText(double value) {
        return String.format("%.17g", value);
    }
}
