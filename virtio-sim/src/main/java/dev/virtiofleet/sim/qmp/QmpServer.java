package dev.virtiofleet.sim.qmp;

import dev.virtiofleet.sim.machine.SimulatedVm;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the QMP monitors of many simulated VMs, one unix socket each, from a single selector
 * thread. Each socket takes one client at a time like QEMU's: a second client waits in the
 * listen backlog until the first disconnects. Commands are answered on the selector thread;
 * they only read and change in-memory state.
 */
public final class QmpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QmpServer.class);
    private static final long CONTROL_TIMEOUT_SECONDS = 10;
    private static final AtomicInteger LOOPS = new AtomicInteger();
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final QemuVersion version;
    private final Selector selector;
    private final Thread loop;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final List<QmpEndpoint> endpoints = new ArrayList<>();
    private volatile boolean closing;

    public QmpServer(QemuVersion version) throws IOException {
        this.version = version;
        this.selector = Selector.open();
        this.loop = Thread.ofPlatform().name("qmp-server-" + LOOPS.incrementAndGet()).daemon().start(this::run);
    }

    /** Opens a monitor socket for {@code vm} at {@code socket} (replacing a stale socket file). */
    public QmpEndpoint serve(SimulatedVm vm, Path socket) throws IOException {
        removeStaleSocket(socket);
        ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.bind(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot listen for QMP of VM " + vm.name() + " on " + socket + ": " + e.getMessage(), e);
        }
        return onLoop(() -> {
            QmpEndpoint endpoint = new QmpEndpoint(this, vm, socket, channel, version);
            endpoint.register(selector);
            endpoints.add(endpoint);
            return endpoint;
        });
    }

    @Override
    public void close() {
        if (closing) {
            return;
        }
        onLoop(() -> {
            List.copyOf(endpoints).forEach(QmpEndpoint::closeOnLoop);
            return null;
        });
        closing = true;
        selector.wakeup();
        try {
            loop.join(TimeUnit.SECONDS.toMillis(CONTROL_TIMEOUT_SECONDS));
            selector.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.warn("closing the QMP selector failed", e);
        }
    }

    // Like QEMU's server=on it replaces a leftover socket, but never a file that is something else.
    private static void removeStaleSocket(Path socket) throws IOException {
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & S_IFMT) != S_IFSOCK) {
            throw new IOException("refusing to replace " + socket + ": it exists and is not a socket");
        }
        Files.delete(socket);
    }

    void forget(QmpEndpoint endpoint) {
        endpoints.remove(endpoint);
    }

    boolean onLoopThread() {
        return Thread.currentThread() == loop;
    }

    /** Runs {@code task} on the selector thread soon; safe from any thread. */
    void post(Runnable task) {
        tasks.add(task);
        selector.wakeup();
    }

    /** Runs {@code action} on the selector thread and waits for its result. */
    <T> T onLoop(Supplier<T> action) {
        if (onLoopThread()) {
            return action.get();
        }
        if (closing) {
            throw new IllegalStateException("QMP server is closed");
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        post(() -> {
            try {
                result.complete(action.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(CONTROL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for the QMP server", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("QMP server did not respond within " + CONTROL_TIMEOUT_SECONDS + " s", e);
        }
    }

    private void run() {
        while (!closing) {
            try {
                selector.select();
                Runnable task;
                while ((task = tasks.poll()) != null) {
                    task.run();
                }
                for (SelectionKey key : selector.selectedKeys()) {
                    if (key.isValid() && key.attachment() instanceof SelectionHandler handler) {
                        handler.ready(key);
                    }
                }
                selector.selectedKeys().clear();
            } catch (IOException | RuntimeException e) {
                LOG.error("QMP server loop error; continuing", e);
            }
        }
    }

    /** Whatever is attached to a selection key. */
    interface SelectionHandler {
        void ready(SelectionKey key);
    }
}
