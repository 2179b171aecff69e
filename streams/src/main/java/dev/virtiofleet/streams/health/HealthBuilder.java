package dev.virtiofleet.streams.health;

import dev.virtiofleet.avro.ActiveAlert;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.QueueHealth;
import dev.virtiofleet.avro.Severity;
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

/**
 * The {@link DeviceHealth} record of a device after a sample, and the digest of its content.
 *
 * <p>Content is what the record says about the device: who it is (host, VM name and UUID, path,
 * model, type, group), its verdict, whether its VM runs, DRIVER_OK, broken, status bits, host and
 * guest features, which queues it has and their roles, and the alerts firing for it. A change of any
 * of these is published at once. The rest is when and how far along: the sample's event time and
 * agent coordinates ({@code lastSampleTime}, {@code agentRunId}, {@code agentSequence},
 * {@code updatedAt}) and each queue's ring position ({@code usedIdx}, {@code lastAvailIdx},
 * {@code inuse}, {@code lastProgressTime}); these move with almost every sample of a busy device and
 * are carried by each published record as of its sample, but do not make one (see {@link HealthPublisher}).
 */
public final class HealthBuilder {

    private HealthBuilder() {}

    /**
     * A digest of the content of {@link #of}'s record (not of its sample coordinates and ring
     * positions): equal records give equal digests; a change of content gives another, but for a
     * 64-bit collision, which the periodic refresh repairs.
     */
    public static long digest(DeviceState state, DeviceSnapshot now) {
        Digest digest = new Digest();
        var identity = state.identity();
        digest.add(identity.key().hostId()).add(identity.key().devicePath()).add(identity.vmName().orElse(null))
                .add(identity.vmUuid().orElse(null)).add(identity.deviceName()).add(identity.deviceId().orElse(-1))
                .add(identity.group().orElse(null));
        int critical = 0;
        int firing = 0;
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            Episode episode = entry.getValue();
            firing++;
            critical += episode.severity() == Severity.CRITICAL ? 1 : 0;
            digest.add(episode.alertId()).add(entry.getKey().kind().ordinal()).add(episode.severity().ordinal())
                    .add(episode.first().ref().eventTime().toEpochMilli());
        }
        digest.add(firing);
        digest.add(HealthVerdict.of(critical, firing, now.vmRunning(), now.status().isPresent()).ordinal());
        digest.add(now.vmRunning() ? 1 : 0).add(state.driverOk() ? 1 : 0);
        if (now.status().isPresent()) {
            DeviceStatusView status = now.status().get();
            digest.add(status.broken() ? 1 : 0).addAll(status.statuses()).addAll(status.hostFeatures().symbols())
                    .addAll(status.guestFeatures().symbols());
        } else {
            digest.add(-1);
        }
        for (QueueView queue : now.queues()) {
            digest.add(queue.index()).add(queue.role().ordinal());
        }
        return digest.value();
    }

    /** Order-sensitive 64-bit mixing of the parts; a part's position counts, so "a","b" is not "ab". */
    private static final class Digest {
        private long value = 0x243F6A8885A308D3L;
        private int parts;

        Digest add(long part) {
            value = (value ^ part) * 0x9E3779B97F4A7C15L;
            value ^= value >>> 29;
            parts++;
            return this;
        }

        Digest add(String part) {
            return add(part == null ? 0x7FFF_FFFF_FFFFL : part.hashCode() ^ ((long) part.length() << 32));
        }

        Digest addAll(java.util.Collection<String> items) {
            add(items.size());
            for (String item : items) {
                add(item);
            }
            return this;
        }

        long value() {
            long last = (value ^ parts) * 0x9E3779B97F4A7C15L;
            return last ^ (last >>> 29);
        }
    }

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
