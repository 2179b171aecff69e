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
import java.util.Optional;

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

    // Records are made with their all-fields constructors: Avro's builders check and track every field of every record.
    public static DeviceHealth of(DeviceState state, DeviceSnapshot now) {
        List<ActiveAlert> active = new ArrayList<>(state.episodes().size());
        int critical = 0;
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            Episode episode = entry.getValue();
            critical += episode.severity() == Severity.CRITICAL ? 1 : 0;
            active.add(new ActiveAlert(episode.alertId(), entry.getKey().kind(), episode.severity(),
                    episode.first().ref().eventTime()));
        }
        List<QueueHealth> queues = new ArrayList<>(now.queues().size());
        for (QueueView queue : now.queues()) {
            QueueMark mark = state.queues().get(queue.index());
            queues.add(new QueueHealth(
                    queue.index(),
                    queue.role(),
                    queue.usedIdx().isPresent() ? queue.usedIdx().getAsInt() : null,
                    queue.lastAvailIdx().isPresent() ? queue.lastAvailIdx().getAsInt() : null,
                    queue.inuse().isPresent() ? queue.inuse().getAsLong() : null,
                    mark == null ? null : mark.lastProgress().orElse(null)));
        }
        var identity = state.identity();
        Optional<DeviceStatusView> status = now.status();
        return new DeviceHealth(
                identity.key().hostId(),
                identity.vmName().orElse(null),
                identity.vmUuid().orElse(null),
                identity.key().devicePath(),
                identity.deviceName(),
                identity.deviceId().orElse(null),
                identity.group().orElse(null),
                HealthVerdict.of(critical, active.size(), now.vmRunning(), status.isPresent()),
                now.ref().eventTime(),
                now.ref().agentRunId(),
                now.ref().agentSequence(),
                now.vmRunning(),
                state.driverOk(),
                status.map(DeviceStatusView::broken).orElse(false),
                status.map(DeviceStatusView::statuses).orElse(List.of()),
                status.map(s -> List.copyOf(s.hostFeatures().symbols())).orElse(List.of()),
                status.map(s -> List.copyOf(s.guestFeatures().symbols())).orElse(List.of()),
                queues,
                active,
                now.ref().eventTime());
    }
}
