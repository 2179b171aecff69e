package dev.virtiofleet.agent.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Serves {@code GET /metrics} in the Prometheus text format with the Prometheus client's own HTTP server. */
public final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;
    private final InetSocketAddress address;

    private MetricsServer(HTTPServer server, InetSocketAddress address) {
        this.server = server;
        this.address = address;
    }

    /** Starts serving {@code registry} on {@code address} (port 0 picks a free one); a bind failure names the address. */
    public static MetricsServer start(InetSocketAddress address, PrometheusRegistry registry) throws IOException {
        HTTPServer server;
        try {
            server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort()).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new IOException("cannot serve /metrics on " + address + ": " + e.getMessage(), e);
        }
        return new MetricsServer(server, new InetSocketAddress(address.getAddress(), server.getPort()));
    }

    /** Where it listens (the actual port when 0 was asked for). */
    public InetSocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        server.close();
    }
}
