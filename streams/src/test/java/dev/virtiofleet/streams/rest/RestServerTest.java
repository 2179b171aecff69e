package dev.virtiofleet.streams.rest;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.MRG_RXBUF_OFF;
import static dev.virtiofleet.streams.testing.Samples.NET;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.metrics.StreamsMetrics;
import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.testing.FleetRecords;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST API over two "instances" (two topology drivers, each with part of the fleet): instance
 * A answers for the whole fleet by asking B for its part.
 */
class RestServerTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path stateA;
    @TempDir
    Path stateB;
    private DetectionDriver fleetA;
    private DetectionDriver fleetB;
    private RestServer serverA;
    private RestServer serverB;
    private final HttpClient http = HttpClient.newHttpClient();
    private final List<StreamsMetrics> metrics = new ArrayList<>();

    private static VirtioSample vm(VirtioSample sample, String host, String uuid) {
        return VirtioSample.newBuilder(sample).setHostId(host).setVmUuid(uuid).setVmName(uuid).build();
    }

    @BeforeEach
    void start() throws Exception {
        Instant wall = Instant.parse("2026-11-25T10:00:00Z");
        fleetA = new DetectionDriver(DetectionConfig.defaults(), stateA, wall);
        fleetA.pipeAll(repeated(Samples.of(HUNG, BLK, false), 0, 4));
        fleetA.pipe(poll(vm(Samples.of(RUNNING, NET, false), "hv-a", "vm-1"), 0))
                .pipe(poll(vm(Samples.of(RUNNING, NET, false), "hv-a", "vm-2"), 0))
                .pipe(poll(vm(Samples.of(MRG_RXBUF_OFF, NET, false), "hv-a", "vm-3"), 0));
        fleetA.heartbeat(AgentHeartbeat.newBuilder(FleetRecords.heartbeat()).setHostId("hv-quiet").setEventTime(wall).build())
                .advanceWallClock(Duration.ofMinutes(5));
        fleetB = new DetectionDriver(DetectionConfig.defaults(), stateB, wall);
        fleetB.pipe(poll(vm(Samples.of(RUNNING, BLK, false), "hv-b", "vm-9"), 0));

        serverB = server(fleetB, Peers.none(), Probes.alwaysReady());
        serverB.start();
        URI peerB = URI.create("http://127.0.0.1:" + serverB.port() + "/");
        serverA = server(fleetA, () -> List.of(peerB), Probes.alwaysReady());
        serverA.start();
    }

    private RestServer server(DetectionDriver fleet, Peers peers, Probes probes) throws IOException {
        FleetQueries queries = new FleetQueries(fleet.stores());
        StreamsMetrics fleetMetrics = new StreamsMetrics(queries, StreamsMetrics.DEFAULT_QUEUE_SERIES_LIMIT);
        metrics.add(fleetMetrics);
        return new RestServer(LOOPBACK, queries, peers, fleetMetrics.handler(), probes);
    }

    @AfterEach
    void stop() {
        serverA.close();
        serverB.close();
        metrics.forEach(StreamsMetrics::close);
        fleetA.close();
        fleetB.close();
        http.close();
    }

    @Test
    void alertsListEveryKindFiringAcrossTheFleet() throws Exception {
        JsonNode alerts = get(serverA, "/alerts", 200);

        List<String> kinds = new ArrayList<>();
        alerts.forEach(alert -> kinds.add(alert.get("kind").asText()));
        assertEquals(List.of("AGENT_SILENT", "FEATURE_DRIFT", "QUEUE_STALLED"), kinds, "all began at T0: by id; " + alerts);
        JsonNode stall = alerts.get(2);
        assertEquals(0, stall.get("queue").asInt());
        assertEquals(BLK, stall.get("devicePath").asText());
        assertEquals(Samples.T0.toString(), stall.get("since").asText());
    }

    @Test
    void deviceHealthComesFromWhicheverInstanceHoldsTheDevice() throws Exception {
        JsonNode remote = get(serverA, "/devices?host=hv-b", 200);
        assertEquals(1, remote.size());
        assertEquals("HEALTHY", remote.get(0).get("state").asText());
        assertEquals("vm-9", remote.get(0).get("vm").asText());

        JsonNode stalled = get(serverA, "/devices?device=" + BLK + "&host=hv-0001.example", 200);
        assertEquals("CRITICAL", stalled.get(0).get("state").asText());
        assertEquals(6209, stalled.get(0).get("queues").get(0).get("usedIdx").asInt());
    }

    @Test
    void theSummaryAddsUpAllInstances() throws Exception {
        JsonNode summary = get(serverA, "/summary", 200);

        // Drift is a property of the group, not of the device's own health: the drifting net is HEALTHY.
        assertEquals(4, summary.get("devicesByState").get("HEALTHY").asInt(), summary.toString());
        assertEquals(1, summary.get("devicesByState").get("CRITICAL").asInt());
        assertEquals(1, summary.get("firingAlerts").get("QUEUE_STALLED/CRITICAL").asInt());
        assertEquals(1, summary.get("agents").asInt());
    }

    @Test
    void theDriftReportShowsTheFeatureSetsOfEachGroup() throws Exception {
        JsonNode drift = get(serverA, "/drift?group=fleet", 200);

        JsonNode net = null;
        for (JsonNode group : drift) {
            if (group.get("groupKey").asText().equals("fleet/virtio-net")) {
                net = group;
            }
        }
        assertTrue(net != null, drift.toString());
        assertEquals(2, net.get("featureSets").size());
        assertTrue(net.get("prevailing").asText().contains("VIRTIO_NET_F_MRG_RXBUF"));
        assertEquals("vm-3", net.get("drifting").get(0).get("vm").asText());
    }

    @Test
    void metricsShowThisInstancesAlertsDevicesAndItsUnhealthyQueuesOnly() throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverA.port() + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();

        assertTrue(text.contains("virtiofleet_alerts_firing{kind=\"QUEUE_STALLED\",severity=\"CRITICAL\"} 1"), text);
        assertTrue(text.contains("virtiofleet_devices{state=\"CRITICAL\"} 1"), text);
        assertTrue(text.contains("virtiofleet_devices{state=\"HEALTHY\"} 3"), "B's device is B's to report: " + text);
        assertTrue(text.contains("virtiofleet_unhealthy_queue_used_idx{device=\"" + BLK + "\",host=\"hv-0001.example\",queue=\"0\"")
                && text.contains("} 6209"), text);
        assertTrue(text.contains("virtiofleet_unhealthy_queue_inflight{device=\"" + BLK + "\""), text);
        assertEquals(1, text.lines().filter(line -> line.startsWith("virtiofleet_unhealthy_queue_used_idx{")).count(),
                "only the stalled device's queue, not the healthy devices' queues: " + text);
    }

    @Test
    void probesAnswerFromTheApplicationState() throws Exception {
        Probes rebalancing = new Probes() {
            @Override
            public String state() {
                return "REBALANCING";
            }

            @Override
            public boolean live() {
                return true;
            }

            @Override
            public boolean ready() {
                return false;
            }
        };
        try (RestServer server = server(fleetB, Peers.none(), rebalancing)) {
            server.start();
            assertEquals("REBALANCING", get(server, "/healthz", 200).get("state").asText());
            assertEquals("REBALANCING", get(server, "/readyz", 503).get("state").asText());
        }
        assertEquals("RUNNING", get(serverA, "/readyz", 200).get("state").asText());
    }

    @Test
    void mistakesGetClearAnswers() throws Exception {
        assertTrue(get(serverA, "/alerts?colour=red", 400).get("error").asText().contains("colour"));
        get(serverA, "/alerts/extra", 404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + serverA.port() + "/alerts"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    @Test
    void aPeerThatDoesNotAnswerFailsTheRequestInsteadOfHidingPartOfTheFleet() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        URI gone = URI.create("http://127.0.0.1:" + closedPort + "/");
        try (RestServer lonely = server(fleetA, () -> List.of(gone), Probes.alwaysReady())) {
            lonely.start();
            assertTrue(get(lonely, "/alerts", 502).get("error").asText().contains(gone.toString()));
        }
    }

    private JsonNode get(RestServer server, String pathAndQuery, int expectedStatus) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + pathAndQuery))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(expectedStatus, response.statusCode(), response.body());
        return JSON.readTree(response.body());
    }
}
