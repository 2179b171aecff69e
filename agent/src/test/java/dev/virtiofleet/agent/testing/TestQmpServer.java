package dev.virtiofleet.agent.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A QMP monitor for tests, on a real unix socket (or TCP port): accepts clients one after another
 * like QEMU and runs a {@link Session} script for each. Records every command it received.
 */
public final class TestQmpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the monitor does with one client connection. */
    @FunctionalInterface
    public interface Session {
        void run(Client client) throws IOException, InterruptedException;
    }

    private final ServerSocketChannel server;
    private final Optional<Path> socketDir;
    private final QmpEndpoint endpoint;
    private final Session session;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final List<Client> clients = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean closed;

    private TestQmpServer(ServerSocketChannel server, Optional<Path> socketDir, QmpEndpoint endpoint, Session session) {
        this.server = server;
        this.socketDir = socketDir;
        this.endpoint = endpoint;
        this.session = session;
        Thread acceptor = Thread.ofVirtual().name("test-qmp-accept").start(this::acceptLoop);
        threads.add(acceptor);
    }

    /** A monitor on a fresh unix socket under /tmp (socket paths must stay under 108 bytes). */
    public static TestQmpServer unix(Session session) throws IOException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "qmp-test");
        return unixAt(dir.resolve("vm.qmp"), session, Optional.of(dir));
    }

    /** A monitor at {@code socket}, whose directory the caller owns. */
    public static TestQmpServer unixAt(Path socket, Session session) throws IOException {
        return unixAt(socket, session, Optional.empty());
    }

    private static TestQmpServer unixAt(Path socket, Session session, Optional<Path> ownedDir) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return new TestQmpServer(server, ownedDir, new QmpEndpoint.UnixSocket(socket), session);
    }

    public static TestQmpServer tcp(Session session) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        return new TestQmpServer(server, Optional.empty(), new QmpEndpoint.Tcp("127.0.0.1", port), session);
    }

    public QmpEndpoint endpoint() {
        return endpoint;
    }

    /** Every command received, over all connections, in arrival order. */
    public List<JsonNode> received() {
        return List.copyOf(received);
    }

    public List<String> receivedCommandNames() {
        return received.stream().map(c -> c.path("execute").asText()).toList();
    }

    public int connectionsAccepted() {
        return accepted.get();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                SocketChannel channel = server.accept();
                accepted.incrementAndGet();
                Client client = new Client(channel);
                clients.add(client);
                // QEMU serves one client at a time; so does this monitor.
                try {
                    session.run(client);
                } catch (IOException | RuntimeException e) {
                    // the client went away or the script ended: wait for the next one
                } finally {
                    client.close();
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Client client : clients) {
            client.close();
        }
        for (Thread thread : threads) {
            thread.interrupt();
            try {
                if (!thread.join(Duration.ofSeconds(5))) {
                    throw new IllegalStateException("test QMP server thread did not stop: " + thread);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (endpoint instanceof QmpEndpoint.UnixSocket unix) {
            Files.deleteIfExists(unix.path());
        }
        if (socketDir.isPresent()) {
            Files.deleteIfExists(socketDir.get());
        }
    }

    /** One client connection as the script sees it. */
    public final class Client {
        private final SocketChannel channel;
        private final BufferedReader in;

        Client(SocketChannel channel) {
            this.channel = channel;
            this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        }

        /** The next command, recorded in {@link #received()}; empty when the client hung up. */
        public Optional<JsonNode> readCommand() throws IOException {
            String line = in.readLine();
            if (line == null) {
                return Optional.empty();
            }
            JsonNode command = JSON.readTree(line);
            received.add(command);
            return Optional.of(command);
        }

        public void send(JsonNode message) throws IOException {
            sendLine(message.toString());
        }

        public void sendLine(String line) throws IOException {
            sendRaw((line + "\n").getBytes(StandardCharsets.UTF_8));
        }

        public void sendRaw(byte[] bytes) throws IOException {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
        }

        /** {@code response} with the id of {@code command}, as QEMU echoes it. */
        public void reply(JsonNode command, JsonNode response) throws IOException {
            ObjectNode withId = response.deepCopy();
            if (command.has("id")) {
                withId.set("id", command.get("id"));
            }
            send(withId);
        }

        /** Greets with QEMU 7.2's verbatim greeting and answers {@code qmp_capabilities}. */
        public void handshake() throws IOException {
            sendLine(QmpScripts.GREETING);
            JsonNode capabilities = readCommand().orElseThrow(() -> new IOException("client left before qmp_capabilities"));
            reply(capabilities, JSON.readTree("{\"return\": {}}"));
        }

        /** Sends end-of-stream and keeps reading. */
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already gone
            }
        }
    }
}
