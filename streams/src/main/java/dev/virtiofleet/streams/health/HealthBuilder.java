package dev.virtiofleet.streams.health;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.QueueMark;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The {@link DeviceHealth} record of a device after a sample. */
public final class HealthBuilder {

    private HealthBuilder() {}

    public static DeviceHealth of(DeviceState state, DeviceSnapshot now) {
        List<ActiveAlert> active = new ArrayList<>();
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            Episode episode = entry.getValue();
            active.add(new ActiveAlert(episode.alertId(), entry.getKey().kind(), episode.severity(),
                    episode.first().ref().eventTime()));
        }
        List<QueueHealth> queues = new ArrayList<>();
        for (QueueView queue : now.queues()) {
            QueueMark mark = state.queues().get(queue.index());
            queues.add(QueueHealth.newBuilder()
                    .setQueueIndex(queue.index())
                    .setRole(queue.role())
                    .setUsedIdx(queue.usedIdx().isPresent() ? queue.usedIdx().getAsInt() : null)
                    .setLastAvailIdx(queue.lastAvailIdx().isPresent() ? queue.lastAvailIdx().getAsInt() : null)
                    .setInuse(queue.inuse().isPresent() ? queue.inuse().getAsLong() : null)
                    .setLastProgressTime(mark == null ? null : mark.lastProgress().orElse(null))
                    .build());
        }
        return DeviceHealth.newBuilder()
                .setHostId(state.identity().key().hostId())
                .setVmName(state.identity().vmName().orElse(null))
                .setVmUuid(state.identity().vmUuid().orElse(null))
                .setDevicePath(state.identity().key().devicePath())
                .setDeviceName(state.identity().deviceName())
                .setDeviceId(state.identity().deviceId().orElse(null))
                .setGroup(state.identity().group().orElse(null))
                .setState(HealthVerdict.of(active.stream().map(ActiveAlert::getSeverity).toList(), now.vmRunning(), now.status().isPresent()))
                .setLastSampleTime(now.ref().eventTime())
                .setAgentRunId(now.ref().agentRunId())
                .setAgentSequence(now.ref().agentSequence())
                .setVmRunning(now.vmRunning())
                .setDriverOk(state.driverOk())
                .setBroken(now.status().map(DeviceStatusView::broken).orElse(false))
                .setStatuses(now.status().map(DeviceStatusView::statuses).orElse(List.of()))
                .setHostFeatures(now.status().map(s -> List.copyOf(s.hostFeatures().symbols())).orElse(List.of()))
                .setGuestFeatures(now.status().map(s -> List.copyOf(s.guestFeatures().symbols())).orElse(List.of()))
                .setQueues(queues)
                .setActiveAlerts(active)
                .setUpdatedAt(now.ref().eventTime())
                .build();
    }
}
