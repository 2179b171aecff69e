package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.sim.machine.MonitorCondition;
import dev.virtiofleet.sim.machine.VmEvent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client currently connected to a monitor socket: reads and frames its requests, answers them
 * in order through its {@link QmpSession}, interleaves events, and honours the VM's monitor
 * condition (a hung monitor answers nothing until it recovers; a garbled one sends junk).
 * Used only on the selector thread.
 */
final class MonitorConnection implements QmpServer.SelectionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorConnection.class);
    private static final int INPUT_LIMIT = 1 << 20;
    private static final byte[] GARBAGE = "{\"retur\u00ff\u0000 }}} <garbage>\n".getBytes(StandardCharsets.ISO_8859_1);

    private final QmpEndpoint endpoint;
    private final SocketChannel channel;
    private final QmpSession session;
    private final JsonFramer framer = new JsonFramer(INPUT_LIMIT);
    private final Deque<JsonFramer.Frame> pending = new ArrayDeque<>();
    private final Deque<ByteBuffer> outbound = new ArrayDeque<>();
    private final ByteBuffer readBuffer = ByteBuffer.allocate(16 * 1024);
    private SelectionKey key;
    private boolean greeted;
    private boolean closed;

    MonitorConnection(QmpEndpoint endpoint, SocketChannel channel, QmpSession session) {
        this.endpoint = endpoint;
        this.channel = channel;
        this.session = session;
    }

    void register(Selector selector) throws IOException {
        key = channel.register(selector, SelectionKey.OP_READ, this);
    }

    @Override
    public void ready(SelectionKey selected) {
        try {
            if (selected.isValid() && selected.isWritable()) {
                flush();
            }
            if (selected.isValid() && selected.isReadable()) {
                if (endpoint.vm().monitorCondition() == MonitorCondition.HUNG) {
                    // A stuck QEMU reads nothing: requests wait in the socket, clients block when it fills.
                    interest(SelectionKey.OP_READ, false);
                } else {
                    read();
                }
            }
        } catch (IOException e) {
            LOG.debug("QMP client of VM {} went away: {}", endpoint.vm().name(), e.getMessage());
            close();
        }
    }

    /** Answers what can be answered now, unless the monitor is hung. */
    void pump() {
        if (closed || endpoint.vm().monitorCondition() == MonitorCondition.HUNG) {
            return;
        }
        interest(SelectionKey.OP_READ, true);
        if (!greeted) {
            greeted = true;
            send(session.greeting());
        }
        while (!pending.isEmpty() && endpoint.vm().monitorCondition() != MonitorCondition.HUNG) {
            JsonNode response = switch (pending.poll()) {
                case JsonFramer.Text text -> session.handle(text.json());
                case JsonFramer.Oversized oversized -> session.rejectOversized();
            };
            send(response);
        }
    }

    void deliver(VmEvent event) {
        if (!closed && greeted && session.receivesEvents()) {
            send(QmpSession.event(event));
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (key != null) {
            key.cancel();
        }
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing QMP client channel failed", e);
        }
        endpoint.disconnected(this);
    }

    private void read() throws IOException {
        readBuffer.clear();
        int n = channel.read(readBuffer);
        if (n < 0) {
            close();
            return;
        }
        readBuffer.flip();
        pending.addAll(framer.feed(readBuffer));
        pump();
    }

    private void send(JsonNode message) {
        byte[] bytes = endpoint.vm().monitorCondition() == MonitorCondition.GARBAGE ? GARBAGE : QmpJson.line(message);
        outbound.add(ByteBuffer.wrap(bytes));
        try {
            flush();
        } catch (IOException e) {
            LOG.debug("QMP client of VM {} went away while writing: {}", endpoint.vm().name(), e.getMessage());
            close();
        }
    }

    private void flush() throws IOException {
        while (!outbound.isEmpty()) {
            ByteBuffer head = outbound.peek();
            channel.write(head);
            if (head.hasRemaining()) {
                interest(SelectionKey.OP_WRITE, true);
                return;
            }
            outbound.poll();
        }
        interest(SelectionKey.OP_WRITE, false);
    }

    private void interest(int operation, boolean wanted) {
        if (key != null && key.isValid()) {
            key.interestOps(wanted ? key.interestOps() | operation : key.interestOps() & ~operation);
        }
    }
}
