package dev.virtiofleet.sim.qmp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.device.VhostKind;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.MonitorCondition;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Faults as a QMP client (the agent) sees them. */
class FaultsOverQmpTest {
    private static final String NET = "/machine/peripheral/net0/virtio-backend";
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final QapiReader qapi = new QapiReader();
    private SocketDir sockets;
    private QmpServer server;

    @BeforeEach
    void start() throws IOException {
        sockets = new SocketDir();
        server = new QmpServer(QemuVersion.DEBIAN_7_2);
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        sockets.close();
    }

    @Test
    void aHungMonitorAnswersNothingUntilItRecoversThenAnswersInOrder() throws IOException {
        SimulatedVm vm = transcriptGuest();
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("hang"));
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            Fault hang = new Fault.MonitorFailure(MonitorCondition.HUNG);
            hang.inject(vm);
            client.send("{\"execute\": \"query-status\", \"id\": 1}\n{\"execute\": \"query-name\", \"id\": 2}\n");
            assertTrue(client.nextLine(Duration.ofMillis(300)).isEmpty(), "a hung monitor is silent");

            hang.recover(vm);
            assertEquals(1, client.awaitResponse().response().get("id").asInt());
            assertEquals(2, client.awaitResponse().response().get("id").asInt());
        }
    }

    @Test
    void aGarbledMonitorSendsBytesThatAreNotQmp() throws IOException {
        SimulatedVm vm = transcriptGuest();
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("junk"));
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            new Fault.MonitorFailure(MonitorCondition.GARBAGE).inject(vm);
            client.send("{\"execute\": \"query-status\"}\n");
            String junk = client.nextLine(QmpTestClient.PATIENCE).orElseThrow();
            assertFalse(junk.startsWith("{\"return\""), junk);
            new Fault.MonitorFailure(MonitorCondition.GARBAGE).recover(vm);
            assertTrue(client.execute("{\"execute\": \"query-status\"}").response().has("return"));
        }
    }

    @Test
    void anUnpluggedDeviceIsAnnouncedThenIsNoLongerAVirtioDevice() throws IOException {
        SimulatedVm vm = transcriptGuest();
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("unplug"));
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            Fault unplug = new Fault.HotUnplug(LinuxGuestDevices.net("net0", NetOptions.defaults()));
            unplug.inject(vm);
            QmpTestClient.Answer answer = client.execute(statusOf(NET));
            assertEquals(List.of("DEVICE_DELETED", "DEVICE_DELETED"),
                    answer.events().stream().map(e -> e.get("event").asText()).toList());
            assertEquals(NET, answer.events().get(0).at("/data/path").asText());
            assertEquals("net0", answer.events().get(1).at("/data/device").asText());
            assertEquals("Path " + NET + " is not a VirtIODevice", answer.response().at("/error/desc").asText());

            unplug.recover(vm);
            JsonNode devices = client.execute("{\"execute\": \"x-query-virtio\"}").response().get("return");
            assertEquals(NET, devices.get(0).get("path").asText(), "the replugged device is listed first");
        }
    }

    @Test
    void queryingQueueStatusStopsAVhostUserRingLikeGetVringBase() throws IOException, QapiDecodeException {
        SimulatedVm vm = vhostGuest(VhostKind.USER);
        vm.setTraffic(new QueueRef("net0", 1), Traffic.steady(100));
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("vu"));
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            VirtioStatus status = qapi.virtioStatus(client.execute(statusOf(NET)).response().get("return"));
            assertTrue(status.vhostStarted());
            assertFalse(status.vhostDev().orElseThrow().protocolFeatures().protocols().isEmpty(), "vhost-user");
            VirtVhostQueueStatus vhostQueue = qapi.vhostQueueStatus(client.execute(
                    queueCommand("x-query-virtio-vhost-queue-status", 1)).response().get("return"));
            assertEquals(256, vhostQueue.num());

            clock.advance(Duration.ofSeconds(1));
            int usedBefore = element(client, 1).used().idx();
            VirtQueueStatus stale = qapi.queueStatus(client.execute(queueCommand("x-query-virtio-queue-status", 1))
                    .response().get("return"));
            assertTrue(stale.shadowAvailIdx().isEmpty(), "QEMU has no shadow index while vhost runs the ring");
            assertEquals(java.util.Optional.of(0), stale.lastAvailIdx(), "QEMU 7.2 reports GET_VRING_BASE's return code");
            clock.advance(Duration.ofSeconds(1));

            VirtioQueueElement after = element(client, 1);
            assertEquals(usedBefore, after.used().idx(), "the backend stopped completing");
            assertEquals(100, (after.avail().idx() - after.used().idx()) & 0xFFFF, "the guest keeps offering");
            JsonNode control = client.execute(queueCommand("x-query-virtio-queue-status", 2)).response().get("return");
            assertFalse(control.has("last-avail-idx") || control.has("shadow-avail-idx"),
                    "QEMU runs the control queue itself and reports neither index beside a vhost backend: " + control);
            assertEquals("Invalid vhost virtqueue number 2", client.execute(
                    queueCommand("x-query-virtio-vhost-queue-status", 2)).response().at("/error/desc").asText());

            new Fault.VhostRingStopped(new QueueRef("net0", 1)).recover(vm);
            clock.advance(Duration.ofSeconds(1));
            VirtioQueueElement restarted = element(client, 1);
            assertEquals((after.avail().idx() + 100) & 0xFFFF, restarted.used().idx(), "restarted: backlog and new work done");
        }
    }

    @Test
    void kernelVhostKeepsRunningWhenQueueStatusIsRead() throws IOException, QapiDecodeException {
        SimulatedVm vm = vhostGuest(VhostKind.KERNEL);
        vm.setTraffic(new QueueRef("net0", 1), Traffic.steady(100));
        QmpEndpoint endpoint = server.serve(vm, sockets.socket("vk"));
        try (QmpTestClient client = QmpTestClient.negotiated(endpoint.socket())) {
            VirtioStatus status = qapi.virtioStatus(client.execute(statusOf(NET)).response().get("return"));
            assertTrue(status.vhostDev().orElseThrow().protocolFeatures().protocols().isEmpty(), "kernel vhost");
            client.execute(queueCommand("x-query-virtio-queue-status", 1));
            int before = element(client, 1).used().idx();
            clock.advance(Duration.ofSeconds(1));
            assertEquals((before + 100) & 0xFFFF, element(client, 1).used().idx());
        }
    }

    private SimulatedVm transcriptGuest() {
        return new SimulatedVm(ReferenceMachines.transcriptGuest("vm", UUID.randomUUID(), NetOptions.defaults()), clock);
    }

    private SimulatedVm vhostGuest(VhostKind kind) {
        return new SimulatedVm(new VmSpec("vh", UUID.randomUUID(),
                List.of(LinuxGuestDevices.net("net0", NetOptions.defaults().withVhost(kind)))), clock);
    }

    private VirtioQueueElement element(QmpTestClient client, int queue) throws QapiDecodeException {
        return qapi.queueElement(client.execute(queueCommand("x-query-virtio-queue-element", queue)).response().get("return"));
    }

    private static String statusOf(String path) {
        return "{\"execute\": \"x-query-virtio-status\", \"arguments\": {\"path\": \"" + path + "\"}}";
    }

    private static String queueCommand(String command, int queue) {
        return "{\"execute\": \"" + command + "\", \"arguments\": {\"path\": \"" + NET + "\", \"queue\": " + queue + "}}";
    }
}
