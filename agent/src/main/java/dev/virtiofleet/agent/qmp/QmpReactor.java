package dev.virtiofleet.agent.qmp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that reads every monitor connection of the process, from one selector. A host's
 * monitors answer a few thousand small replies a second; a thread blocked in a read per connection
 * would pay a poller registration and two thread hand-offs for each, this thread pays a read. What
 * it does per reply is short (frame, scan, complete a future) and bounded by {@code
 * qmp.max-line-bytes}, so a slow or hostile monitor cannot hold it: a monitor that does not answer
 * costs no thread at all.
 *
 * <p>It also keeps the commands' deadlines, on a coarse tick: every {@link #TICK_MILLIS} ms it asks
 * each connection with commands in flight to time out what is overdue. A timer per batch, on a thread of its own, had to be
 * woken for every batch sent (its queue is empty between them) and once more when the cancelled
 * batch's time came; at 500 VMs that was a few hundred thread wake-ups a second for a deadline
 * that almost never passes. A deadline is thus kept to within a tick, never early.
 */
final class QmpReactor {
    private static final Logger LOG = LoggerFactory.getLogger(QmpReactor.class);
    private static final QmpReactor SHARED = new QmpReactor();

    /** What a registered connection does when its channel is ready; called on the reactor thread only. */
    interface Peer {
        /** Reads what has arrived, through {@code scratch} (the reactor's, empty on entry; its content is not kept). */
        void readable(ByteBuffer scratch);

        /** Writes what it could not write before. */
        void writable();

        /** Times out what was due by {@code nowNanos} ({@link System#nanoTime}); whether deadlines are still pending. */
        boolean tick(long nowNanos);

        /** Whether any deadline is pending. */
        boolean hasDeadlines();

        /** A bug met while serving this peer: it should close, the reactor goes on with the others. */
        void failed(RuntimeException bug);
    }

    static final long TICK_MILLIS = 50;

    private final Selector selector;
    /** Reads land here first: one buffer for all connections, since only this thread reads. */
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(64 * 1024);
    /** The connections with deadlines pending, so that a tick looks at those only. */
    private final Set<SelectionKey> withDeadlines = ConcurrentHashMap.newKeySet();
    private long nextTickNanos = System.nanoTime();

    private QmpReactor() {
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the selector for QMP connections", e);
        }
        Thread.ofPlatform().name("qmp-io").daemon().start(this::loop);
    }

    static QmpReactor shared() {
        return SHARED;
    }

    /** Makes {@code channel} non-blocking and starts serving it; its key is cancelled when the channel closes. */
    SelectionKey register(SocketChannel channel, Peer peer) throws IOException {
        channel.configureBlocking(false);
        SelectionKey key = channel.register(selector, SelectionKey.OP_READ, peer);
        selector.wakeup();
        return key;
    }

    /** Makes the tick look at this connection until its {@link Peer#tick} says nothing is pending; any thread may call it, after adding the deadline. */
    void watchDeadlines(SelectionKey key) {
        withDeadlines.add(key);
    }

    /** Asks for {@link Peer#writable} once the channel can take more; any thread may call it. */
    void wantWrite(SelectionKey key) {
        try {
            key.interestOpsOr(SelectionKey.OP_WRITE);
            selector.wakeup();
        } catch (CancelledKeyException e) {
            // closed meanwhile: nothing more to write
        }
    }

    /** No more {@link Peer#writable} calls until {@link #wantWrite} again. */
    void writtenOut(SelectionKey key) {
        try {
            key.interestOpsAnd(~SelectionKey.OP_WRITE);
        } catch (CancelledKeyException e) {
            // closed meanwhile
        }
    }

    private void loop() {
        while (true) {
            try {
                selector.select(this::serve, TICK_MILLIS);
                long now = System.nanoTime();
                if (now - nextTickNanos >= 0) {
                    nextTickNanos = now + TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
                    tick(now);
                }
            } catch (IOException | RuntimeException e) {
                // Only a bug or a broken selector gets here; giving up would silence every VM.
                LOG.error("selector of the QMP connections failed; going on", e);
            }
        }
    }

    private void tick(long now) {
        for (SelectionKey key : withDeadlines) {
            Peer peer = (Peer) key.attachment();
            try {
                if (!peer.tick(now)) {
                    withDeadlines.remove(key);
                    // A deadline added after the tick looked and before the removal would go unwatched.
                    if (peer.hasDeadlines()) {
                        withDeadlines.add(key);
                    }
                }
            } catch (RuntimeException e) {
                peer.failed(e);
            }
        }
    }

    private void serve(SelectionKey key) {
        Peer peer = (Peer) key.attachment();
        try {
            if (key.isWritable()) {
                peer.writable();
            }
            if (key.isValid() && key.isReadable()) {
                scratch.clear();
                peer.readable(scratch);
            }
        } catch (CancelledKeyException e) {
            // the connection closed while it was being served
        } catch (RuntimeException e) {
            peer.failed(e);
        }
    }
}
