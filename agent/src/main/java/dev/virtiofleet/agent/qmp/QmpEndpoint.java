package dev.virtiofleet.agent.qmp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/** Where a QEMU monitor listens: a unix socket (the usual case) or a TCP port. */
public sealed interface QmpEndpoint {

    /** Opens a blocking channel to the monitor. */
    SocketChannel open(Duration connectTimeout) throws IOException;

    /** How operators name this endpoint in logs and heartbeats: the socket path or host:port. */
    String describe();

    record UnixSocket(Path path) implements QmpEndpoint {
        public UnixSocket {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public SocketChannel open(Duration connectTimeout) throws IOException {
            // A unix connect never waits on the network: it succeeds or is refused at once.
            SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                channel.connect(UnixDomainSocketAddress.of(path));
                return channel;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    record Tcp(String host, int port) implements QmpEndpoint {
        public Tcp {
            Objects.requireNonNull(host, "host");
            if (host.isBlank() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("TCP monitor endpoint needs a host and a port 1..65535, got "
                        + host + ":" + port);
            }
        }

        @Override
        public SocketChannel open(Duration connectTimeout) throws IOException {
            SocketChannel channel = SocketChannel.open();
            try {
                channel.socket().connect(new InetSocketAddress(host, port), Math.toIntExact(connectTimeout.toMillis()));
                channel.socket().setTcpNoDelay(true);
                return channel;
            } catch (IOException | RuntimeException e) {
                channel.close();
                throw e;
            }
        }

        @Override
        public String describe() {
            return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
        }
    }
}
