package dev.virtiofleet.sim.qmp;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the bytes a QMP client sends into JSON texts, as QEMU's JSON streamer does: by bracket
 * depth outside strings, not by lines, so pipelined and multi-line requests both work. Anything
 * outside brackets up to the next whitespace is handed on as its own text for the session to
 * reject. Not thread-safe.
 */
public final class JsonFramer {
    /** What came out of the byte stream. */
    public sealed interface Frame {}

    public record Text(String json) implements Frame {}

    /** A text grew beyond the limit; its bytes were dropped. */
    public record Oversized(int limit) implements Frame {}

    private final int limit;
    private final ByteArrayOutputStream current = new ByteArrayOutputStream();
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean discarding;

    public JsonFramer(int limit) {
        if (limit < 16) {
            throw new IllegalArgumentException("QMP input limit must be at least 16 bytes, got " + limit);
        }
        this.limit = limit;
    }

    public List<Frame> feed(ByteBuffer bytes) {
        List<Frame> frames = new ArrayList<>();
        while (bytes.hasRemaining()) {
            byte b = bytes.get();
            if (depth == 0 && !inString && current.size() == 0 && isWhitespace(b)) {
                continue;
            }
            if (depth == 0 && !inString && current.size() > 0 && (isWhitespace(b) || b == '{' || b == '[')) {
                frames.add(take());
                if (isWhitespace(b)) {
                    continue;
                }
            }
            if (!discarding) {
                current.write(b);
            }
            track(b);
            if (current.size() > limit && !discarding) {
                discarding = true;
                current.reset();
                frames.add(new Oversized(limit));
            }
            if (depth == 0 && !inString && (b == '}' || b == ']')) {
                if (discarding) {
                    discarding = false;
                } else {
                    frames.add(take());
                }
            }
        }
        return frames;
    }

    private void track(byte b) {
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (b == '\\') {
                escaped = true;
            } else if (b == '"') {
                inString = false;
            }
            return;
        }
        switch (b) {
            case '"' -> inString = true;
            case '{', '[' -> depth++;
            case '}', ']' -> depth = Math.max(0, depth - 1);
            default -> { }
        }
    }

    private Text take() {
        Text text = new Text(current.toString(StandardCharsets.UTF_8));
        current.reset();
        return text;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
