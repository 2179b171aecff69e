package dev.virtiofleet.streams.rest;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import dev.virtiofleet.streams.query.AlertView;
import dev.virtiofleet.streams.query.DeviceFilter;
import dev.virtiofleet.streams.query.DeviceView;
import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.query.FleetSummary;
import dev.virtiofleet.streams.query.GroupDrift;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BinaryOperator;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only JSON API over the detection state:
 *
 * <ul>
 *   <li>{@code GET /alerts}: every firing alert, oldest first
 *   <li>{@code GET /devices?host=&vm=&device=}: health of the matching devices
 *   <li>{@code GET /summary}: devices per health state, firing alerts per kind and severity
 *   <li>{@code GET /drift?group=}: feature-drift report per group and device model
 *   <li>{@code GET /metrics}: this instance's metrics in the Prometheus text format
 *   <li>{@code GET /healthz}, {@code GET /readyz}: liveness and readiness (200 or 503, with the state)
 * </ul>
 *
 * Each instance holds only its partitions, so a request is answered from the local stores and
 * from every peer's ({@code scope=local}), merged. If a peer does not answer the request fails
 * (502) rather than return a part of the fleet as if it were all of it.
 */
public final class RestServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RestServer.class);
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);
    private static final String LOCAL_SCOPE = "scope=local";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(PEER_TIMEOUT).build();
    private final ObjectMapper json = Json.mapper();
    private final FleetQueries local;
    private final Peers peers;

    /**
     * @param metrics serves {@code /metrics}
     * @param probes answers {@code /healthz} and {@code /readyz}
     */
    public RestServer(InetSocketAddress bind, FleetQueries local, Peers peers, HttpHandler metrics, Probes probes) throws IOException {
        this.local = local;
        this.peers = peers;
        this.server = HttpServer.create(bind, 0);
        server.setExecutor(executor);
        server.createContext("/metrics", metrics);
        probe("/healthz", probes, Probes::live);
        probe("/readyz", probes, Probes::ready);
        route("/alerts", Set.of(), params -> local.alerts(), new TypeReference<List<AlertView>>() {},
                concat(Comparator.comparing(AlertView::since).thenComparing(AlertView::alertId)));
        route("/devices", Set.of("host", "vm", "device"),
                params -> local.devices(new DeviceFilter(param(params, "host"), param(params, "vm"), param(params, "device"))),
                new TypeReference<List<DeviceView>>() {}, concat(Comparator.comparing(DeviceView::key)));
        route("/summary", Set.of(), params -> local.summary(), new TypeReference<FleetSummary>() {}, FleetSummary::plus);
        route("/drift", Set.of("group"), params -> local.drift(param(params, "group")), new TypeReference<List<GroupDrift>>() {},
                concat(Comparator.comparing(GroupDrift::groupKey)));
    }

    public void start() {
        server.start();
    }

    /** The port bound (useful when bound to port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
        client.close();
    }

    private void probe(String path, Probes probes, Predicate<Probes> check) {
        server.createContext(path, exchange -> {
            try (exchange) {
                sendQuietly(exchange, check.test(probes) ? 200 : 503, Map.of("state", probes.state()));
            }
        });
    }

    private <T> void route(String path, Set<String> allowed, Function<Map<String, String>, T> answer, TypeReference<T> type,
            BinaryOperator<T> merge) {
        server.createContext(path, exchange -> {
            try {
                if (!exchange.getRequestMethod().equals("GET")) {
                    send(exchange, 405, Map.of("error", "only GET is served"));
                    return;
                }
                if (!exchange.getRequestURI().getPath().equals(path)) {
                    send(exchange, 404, Map.of("error", "no such resource: " + exchange.getRequestURI().getPath()));
                    return;
                }
                Map<String, String> params = params(exchange.getRequestURI().getRawQuery());
                boolean localOnly = "local".equals(params.remove("scope"));
                for (String name : params.keySet()) {
                    if (!allowed.contains(name)) {
                        send(exchange, 400, Map.of("error", "unknown parameter '" + name + "'; allowed: " + allowed));
                        return;
                    }
                }
                T result = answer.apply(params);
                if (!localOnly) {
                    for (URI peer : peers.others()) {
                        result = merge.apply(result, fromPeer(peer, exchange.getRequestURI(), type));
                    }
                }
                send(exchange, 200, result);
            } catch (InvalidStateStoreException e) {
                sendQuietly(exchange, 503, Map.of("error", "state not queryable right now (rebalancing or restoring); retry: " + e.getMessage()));
            } catch (PeerException e) {
                LOG.warn("{}", e.getMessage());
                sendQuietly(exchange, 502, Map.of("error", e.getMessage()));
            } catch (RuntimeException e) {
                LOG.error("REST request {} failed", exchange.getRequestURI(), e);
                sendQuietly(exchange, 500, Map.of("error", e.toString()));
            } finally {
                exchange.close();
            }
        });
    }

    private <T> T fromPeer(URI peer, URI request, TypeReference<T> type) {
        String query = request.getRawQuery() == null ? LOCAL_SCOPE : request.getRawQuery() + "&" + LOCAL_SCOPE;
        URI target = peer.resolve(request.getRawPath() + "?" + query);
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(target).timeout(PEER_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new PeerException("peer " + peer + " answered " + response.statusCode() + " to " + target);
            }
            return json.readValue(response.body(), type);
        } catch (IOException e) {
            throw new PeerException("peer " + peer + " did not answer " + target + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerException("interrupted asking peer " + peer);
        }
    }

    private static <E> BinaryOperator<List<E>> concat(Comparator<E> order) {
        return (a, b) -> {
            List<E> all = new ArrayList<>(a);
            all.addAll(b);
            all.sort(order);
            return all;
        };
    }

    private static Optional<String> param(Map<String, String> params, String name) {
        return Optional.ofNullable(params.get(name)).filter(value -> !value.isEmpty());
    }

    private static Map<String, String> params(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(name, value);
        }
        return params;
    }

    private void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = json.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private void sendQuietly(HttpExchange exchange, int status, Object body) {
        try {
            send(exchange, status, body);
        } catch (IOException | RuntimeException e) {
            LOG.debug("could not send the error response", e);
        }
    }

    /** A peer instance that could not complete its part of an answer. */
    private static final class PeerException extends RuntimeException {
        PeerException(String message) {
            super(message);
        }
    }
}
