package dev.virtiofleet.testing;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.AlertSubject;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.avro.MonitorState;
import dev.virtiofleet.avro.OutcomeCounts;
import dev.virtiofleet.avro.QemuVersion;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VmReport;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Fully populated examples of the records that no transcript produces directly. */
public final class FleetRecords {
    private static final Instant T0 = Instant.ofEpochMilli(1_795_566_120_917L);

    static {
        dev.virtiofleet.serde.TrustedAvroClasses.install();
    }

    private FleetRecords() {}

    public static AgentHeartbeat heartbeat() {
        return AgentHeartbeat.newBuilder()
                .setHostId("hv-0001.example")
                .setAgentRunId("5b0c9a52-5d0e-4c36-9a0e-8a3f2f4c9b11")
                .setAgentVersion("0.1.0")
                .setEventTime(T0)
                .setPollIntervalMs(10_000)
                .setLastSampleSequence(123_456)
                .setVms(List.of(
                        new VmReport("/var/run/qemu-server/101.qmp", "guest-01", "2f3c8a9e-63f6-4d2b-9a1e-6a0d3c7b5e41",
                                new QemuVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3"), MonitorState.CONNECTED, 7, null),
                        new VmReport("/var/run/qemu-server/102.qmp", null, null, null, MonitorState.CIRCUIT_OPEN, 0,
                                "3 consecutive timeouts of 2 s on x-query-virtio-status")))
                .setOutcomes(new OutcomeCounts(10_000L, 420L, 3L, 1L, 0L))
                .setBufferedSamples(12)
                .setSpooledSamples(0)
                .setSpoolBytes(0)
                .setDroppedSamples(Map.of("spool-full", 0L))
                .build();
    }

    public static VirtioAlert stalledQueueAlert(AlertState state) {
        return VirtioAlert.newBuilder()
                .setAlertId("QUEUE_STALLED/hv-0001.example/2f3c8a9e/blk0/0@1795566120917")
                .setKind(AlertKind.QUEUE_STALLED)
                .setState(state)
                .setSeverity(Severity.CRITICAL)
                .setSubject(new AlertSubject("hv-0001.example", "guest-01", "2f3c8a9e-63f6-4d2b-9a1e-6a0d3c7b5e41",
                        "/machine/peripheral/blk0/virtio-backend", "virtio-blk", 0, "rack-7"))
                .setStartedAt(T0)
                .setEndedAt(state == AlertState.RESOLVED ? T0.plusSeconds(95) : null)
                .setEventTime(state == AlertState.RESOLVED ? T0.plusSeconds(95) : T0.plusSeconds(30))
                .setSummary("virtio-blk queue 0 of guest-01 on hv-0001.example: 1 request outstanding, used-idx stuck at 6209 for 30 s")
                .setEvidence(List.of(
                        new Evidence(T0, "5b0c9a52", 123_456L, "used-idx unchanged with work outstanding",
                                Map.of("used-idx", 6209L, "last-avail-idx", 6210L, "inuse", 1L), Map.of()),
                        new Evidence(T0.plusSeconds(30), "5b0c9a52", 123_999L, "used-idx unchanged with work outstanding",
                                Map.of("used-idx", 6209L, "last-avail-idx", 6210L, "inuse", 1L), Map.of("vm-run-state", "running"))))
                .build();
    }

    public static DeviceHealth health() {
        return DeviceHealth.newBuilder()
                .setHostId("hv-0001.example")
                .setVmName("guest-01")
                .setVmUuid("2f3c8a9e-63f6-4d2b-9a1e-6a0d3c7b5e41")
                .setDevicePath("/machine/peripheral/blk0/virtio-backend")
                .setDeviceName("virtio-blk")
                .setDeviceId(2)
                .setGroup("rack-7")
                .setState(HealthState.CRITICAL)
                .setLastSampleTime(T0.plusSeconds(30))
                .setAgentRunId("5b0c9a52")
                .setAgentSequence(123_999)
                .setVmRunning(true)
                .setDriverOk(true)
                .setBroken(false)
                .setStatuses(List.of("VIRTIO_CONFIG_S_ACKNOWLEDGE", "VIRTIO_CONFIG_S_DRIVER", "VIRTIO_CONFIG_S_FEATURES_OK", "VIRTIO_CONFIG_S_DRIVER_OK"))
                .setHostFeatures(List.of("VIRTIO_F_VERSION_1", "VIRTIO_BLK_F_FLUSH"))
                .setGuestFeatures(List.of("VIRTIO_F_VERSION_1", "VIRTIO_BLK_F_FLUSH"))
                .setQueues(List.of(new QueueHealth(0, QueueRole.REQUEST, 6209, 6210, 1L, T0)))
                .setActiveAlerts(List.of(new ActiveAlert("QUEUE_STALLED/hv-0001.example/2f3c8a9e/blk0/0@1795566120917",
                        AlertKind.QUEUE_STALLED, Severity.CRITICAL, T0)))
                .setUpdatedAt(T0.plusSeconds(30))
                .build();
    }
}
