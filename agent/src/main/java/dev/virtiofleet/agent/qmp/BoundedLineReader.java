package dev.virtiofleet.agent.qmp;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Splits a monitor's byte stream into newline-terminated messages without ever holding more than
 * {@code maxLineBytes} of one: a monitor that streams bytes without a newline is cut off, not
 * buffered until the heap runs out. It is fed whatever a read brought, in pieces of any size.
 */
final class BoundedLineReader {
    private static final byte[] EMPTY = new byte[0];

    /** Where the lines go, in order. */
    @FunctionalInterface
    interface Lines {
        void accept(byte[] line) throws QmpProtocolException;
    }

    private final int maxLineBytes;
    /** The start of a line that did not end in what was fed so far; empty between lines, so idle connections hold none. */
    private byte[] line = EMPTY;
    private int lineLength;

    BoundedLineReader(int maxLineBytes) {
        this.maxLineBytes = maxLineBytes;
    }

    /** Hands every line completed by {@code bytes} (consumed whole) to {@code lines}, without its newline. */
    void feed(ByteBuffer bytes, Lines lines) throws QmpProtocolException {
        while (bytes.hasRemaining()) {
            int start = bytes.position();
            int end = indexOfNewline(bytes);
            if (end < 0) {
                append(bytes, bytes.remaining());
                return;
            }
            if (lineLength == 0) {
                // The whole line came in one read, as nearly every reply does: one copy, straight out.
                checkLength(end - start);
                byte[] whole = new byte[end - start];
                bytes.get(whole);
                bytes.get();
                lines.accept(whole);
            } else {
                append(bytes, end - start);
                bytes.get();
                byte[] complete = Arrays.copyOf(line, lineLength);
                line = EMPTY;
                lineLength = 0;
                lines.accept(complete);
            }
        }
    }

    /** Bytes of an unfinished line held: at the end of the stream, a message cut off in the middle. */
    int unfinished() {
        return lineLength;
    }

    private static int indexOfNewline(ByteBuffer bytes) {
        for (int i = bytes.position(); i < bytes.limit(); i++) {
            if (bytes.get(i) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void append(ByteBuffer bytes, int length) throws QmpProtocolException {
        if (length == 0) {
            return;
        }
        checkLength((long) lineLength + length);
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(Math.max(line.length * 2, 8 * 1024), lineLength + length)));
        }
        bytes.get(line, lineLength, length);
        lineLength += length;
    }

    private void checkLength(long length) throws QmpProtocolException {
        if (length > maxLineBytes) {
            throw new QmpProtocolException("message longer than qmp.max-line-bytes = " + maxLineBytes
                    + " bytes without end of line");
        }
    }
}
