package dev.virtiofleet.agent.qmp;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Optional;

/**
 * Splits a monitor's byte stream into newline-terminated messages without ever holding more than
 * {@code maxLineBytes} of one: a monitor that streams bytes without a newline is cut off, not
 * buffered until the heap runs out.
 */
final class BoundedLineReader {
    private static final byte[] EMPTY = new byte[0];

    private final ReadableByteChannel channel;
    private final int maxLineBytes;
    // One per connection: 16 KiB holds several replies; 500 connections hold 8 MiB of it, not 32.
    private final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    /** The start of a line that did not fit in one read; empty between lines, so idle connections hold none. */
    private byte[] line = EMPTY;
    private int lineLength;

    BoundedLineReader(ReadableByteChannel channel, int maxLineBytes) {
        this.channel = channel;
        this.maxLineBytes = maxLineBytes;
        buffer.flip();
    }

    /** The next line without its newline; empty at a clean end of stream. */
    Optional<byte[]> next() throws IOException, QmpProtocolException {
        while (true) {
            byte[] bytes = buffer.array();
            int start = buffer.position();
            int limit = buffer.limit();
            int end = start;
            while (end < limit && bytes[end] != '\n') {
                end++;
            }
            if (end < limit && lineLength == 0) {
                // The whole line is in the buffer, as nearly every reply is: one copy, straight out.
                checkLength(end - start);
                buffer.position(end + 1);
                return Optional.of(Arrays.copyOfRange(bytes, start, end));
            }
            append(bytes, start, end - start);
            if (end < limit) {
                buffer.position(end + 1);
                byte[] complete = Arrays.copyOf(line, lineLength);
                line = EMPTY;
                lineLength = 0;
                return Optional.of(complete);
            }
            buffer.clear();
            int read = channel.read(buffer);
            buffer.flip();
            if (read < 0) {
                if (lineLength > 0) {
                    throw new EOFException("monitor closed the connection in the middle of a message ("
                            + lineLength + " bytes without end of line)");
                }
                return Optional.empty();
            }
        }
    }

    private void append(byte[] bytes, int offset, int length) throws QmpProtocolException {
        if (length == 0) {
            return;
        }
        checkLength((long) lineLength + length);
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(Math.max(line.length * 2, 8 * 1024), lineLength + length)));
        }
        System.arraycopy(bytes, offset, line, lineLength, length);
        lineLength += length;
    }

    private void checkLength(long length) throws QmpProtocolException {
        if (length > maxLineBytes) {
            throw new QmpProtocolException("message longer than qmp.max-line-bytes = " + maxLineBytes
                    + " bytes without end of line");
        }
    }
}
