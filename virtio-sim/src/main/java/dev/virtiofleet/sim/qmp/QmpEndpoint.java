package dev.virtiofleet.sim.qmp;

import dev.virtiofleet.sim.machine.MonitorCondition;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmEvent;
import dev.virtiofleet.sim.machine.VmListener;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One VM's QMP monitor socket. Closing it disconnects the client and removes the socket file. */
public final class QmpEndpoint implements AutoCloseable, QmpServer.SelectionHandler, VmListener {
    private static final Logger LOG = LoggerFactory.getLogger(QmpEndpoint.class);

    private final QmpServer server;
    private final SimulatedVm vm;
    private final Path socket;
    private final ServerSocketChannel channel;
    private final QemuVersion version;
    private SelectionKey acceptKey;
    private Optional<MonitorConnection> client = Optional.empty();
    private boolean closed;

    QmpEndpoint(QmpServer server, SimulatedVm vm, Path socket, ServerSocketChannel channel, QemuVersion version) {
        this.server = server;
        this.vm = vm;
        this.socket = socket;
        this.channel = channel;
        this.version = version;
    }

    public Path socket() {
        return socket;
    }

    public SimulatedVm vm() {
        return vm;
    }

    void register(Selector selector) {
        try {
            acceptKey = channel.register(selector, SelectionKey.OP_ACCEPT, this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot register QMP socket " + socket, e);
        }
        vm.addListener(this);
    }

    @Override
    public void ready(SelectionKey key) {
        if (!key.isAcceptable() || client.isPresent()) {
            return;
        }
        try {
            SocketChannel accepted = channel.accept();
            if (accepted == null) {
                return;
            }
            accepted.configureBlocking(false);
            MonitorConnection connection = new MonitorConnection(this, accepted, new QmpSession(vm, version));
            connection.register(key.selector());
            client = Optional.of(connection);
            // One client at a time: later ones wait in the backlog, as with QEMU's monitor.
            acceptKey.interestOps(0);
            connection.pump();
        } catch (IOException e) {
            LOG.warn("accepting a QMP client for VM {} failed", vm.name(), e);
        }
    }

    void disconnected(MonitorConnection connection) {
        if (client.filter(c -> c == connection).isPresent()) {
            client = Optional.empty();
            if (!closed && acceptKey.isValid()) {
                acceptKey.interestOps(SelectionKey.OP_ACCEPT);
            }
        }
    }

    @Override
    public void onEvent(VmEvent event) {
        if (server.onLoopThread()) {
            // Raised by a command on this loop: goes out before that command's response.
            client.ifPresent(c -> c.deliver(event));
        } else {
            server.post(() -> client.ifPresent(c -> c.deliver(event)));
        }
    }

    @Override
    public void onMonitorChanged(MonitorCondition condition) {
        server.post(() -> client.ifPresent(MonitorConnection::pump));
    }

    @Override
    public void close() {
        server.onLoop(() -> {
            closeOnLoop();
            return null;
        });
    }

    void closeOnLoop() {
        if (closed) {
            return;
        }
        closed = true;
        vm.removeListener(this);
        client.ifPresent(MonitorConnection::close);
        acceptKey.cancel();
        try {
            channel.close();
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            LOG.warn("closing QMP socket {} failed", socket, e);
        }
        server.forget(this);
    }
}
