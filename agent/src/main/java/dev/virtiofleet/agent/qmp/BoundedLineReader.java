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
    private final ReadableByteChannel channel;
    private final int maxLineBytes;
    // One per connection: 16 KiB holds several replies; 500 connections hold 8 MiB of it, not 32.
    private final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
    private byte[] line = new byte[8 * 1024];
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
            append(bytes, start, end - start);
            if (end < limit) {
                buffer.position(end + 1);
                byte[] complete = Arrays.copyOf(line, lineLength);
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
        if ((long) lineLength + length > maxLineBytes) {
            throw new QmpProtocolException("message longer than qmp.max-line-bytes = " + maxLineBytes
                    + " bytes without end of line");
        }
        if (lineLength + length > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, lineLength + length)));
        }
        System.arraycopy(bytes, offset, line, lineLength, length);
        lineLength += length;
    }
}
