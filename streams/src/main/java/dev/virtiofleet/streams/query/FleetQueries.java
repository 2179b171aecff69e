package dev.virtiofleet.streams.query;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.HealthState;
import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.detect.QueueMark;
import dev.virtiofleet.streams.health.HealthVerdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Answers the REST API's questions from the stores of this instance. */
public final class FleetQueries {
    private static final Comparator<AlertView> ALERT_ORDER = Comparator.comparing(AlertView::since).thenComparing(AlertView::alertId);

    private final FleetStores stores;

    public FleetQueries(FleetStores stores) {
        this.stores = stores;
    }

    /** Every firing alert: device and queue alerts, feature drift, silent agents; oldest first. */
    public List<AlertView> alerts() {
        List<AlertView> alerts = new ArrayList<>();
        stores.forEachDevice(state -> alerts.addAll(alertsOf(state)));
        stores.forEachDriftMember((group, member) -> member.drift().ifPresent(episode ->
                alerts.add(AlertView.of(AlertKind.FEATURE_DRIFT, episode, member.device(), OptionalInt.empty()))));
        stores.forEachAgent(agent -> agent.silence().ifPresent(episode ->
                alerts.add(AlertView.ofHost(AlertKind.AGENT_SILENT, episode, agent.hostId()))));
        alerts.sort(ALERT_ORDER);
        return alerts;
    }

    /** Devices matching the filter (host, VM name or UUID, device path; each optional). */
    public List<DeviceView> devices(DeviceFilter filter) {
        List<DeviceView> devices = new ArrayList<>();
        stores.forEachDevice(state -> {
            if (filter.test(state)) {
                devices.add(view(state));
            }
        });
        devices.sort(Comparator.comparing(DeviceView::key));
        return devices;
    }

    public FleetSummary summary() {
        Map<String, Long> byState = new TreeMap<>();
        Map<String, Long> firing = new TreeMap<>();
        stores.forEachDevice(state -> byState.merge(verdict(state).name(), 1L, Long::sum));
        alerts().forEach(alert -> firing.merge(alert.kind() + "/" + alert.severity(), 1L, Long::sum));
        long[] agents = {0};
        stores.forEachAgent(agent -> agents[0]++);
        return new FleetSummary(byState, firing, agents[0]);
    }

    /**
     * The queues of devices that are not healthy (nor paused), longest without progress first, at
     * most {@code limit}: what an on-call engineer looks at, in bounded number.
     */
    public List<UnhealthyQueue> unhealthyQueues(int limit) {
        List<UnhealthyQueue> queues = new ArrayList<>();
        stores.forEachDevice(state -> {
            HealthState verdict = verdict(state);
            if (verdict == HealthState.HEALTHY || verdict == HealthState.PAUSED) {
                return;
            }
            var identity = state.identity();
            Instant latest = state.lastSample().eventTime();
            state.queues().forEach((index, mark) -> queues.add(new UnhealthyQueue(identity.key().hostId(),
                    identity.vmName().orElse(identity.key().vm()), identity.key().devicePath(), index, mark.usedIdx(), mark.inuse(),
                    mark.lastProgress().map(progress -> Duration.between(progress, latest)))));
        });
        queues.sort(Comparator.comparing((UnhealthyQueue q) -> q.sinceProgress().orElse(Duration.ZERO)).reversed()
                .thenComparing(UnhealthyQueue::hostId).thenComparing(UnhealthyQueue::vm).thenComparing(UnhealthyQueue::devicePath)
                .thenComparingInt(UnhealthyQueue::queue));
        return queues.subList(0, Math.min(limit, queues.size()));
    }

    /** The drift report of each group and device model, or of those whose group key starts with {@code group/}. */
    public List<GroupDrift> drift(Optional<String> group) {
        Predicate<String> wanted = key -> group.map(g -> key.startsWith(g + "/")).orElse(true);
        Map<String, List<AlertView>> drifting = new HashMap<>();
        stores.forEachDriftMember((key, member) -> member.drift().ifPresent(episode -> drifting.computeIfAbsent(key, k -> new ArrayList<>())
                .add(AlertView.of(AlertKind.FEATURE_DRIFT, episode, member.device(), OptionalInt.empty()))));
        List<GroupDrift> reports = new ArrayList<>();
        stores.forEachDriftTally((key, tally) -> {
            if (wanted.test(key)) {
                List<AlertView> alerts = new ArrayList<>(drifting.getOrDefault(key, List.of()));
                alerts.sort(ALERT_ORDER);
                reports.add(new GroupDrift(key, new TreeMap<>(tally.counts()), tally.prevailing(), alerts));
            }
        });
        reports.sort(Comparator.comparing(GroupDrift::groupKey));
        return reports;
    }

    private static List<AlertView> alertsOf(DeviceState state) {
        List<AlertView> alerts = new ArrayList<>();
        for (Map.Entry<AlertKey, Episode> entry : state.episodes().entrySet()) {
            alerts.add(AlertView.of(entry.getKey().kind(), entry.getValue(), state.identity(), entry.getKey().queue()));
        }
        return alerts;
    }

    private static HealthState verdict(DeviceState state) {
        return HealthVerdict.of(state.episodes().values().stream().map(Episode::severity).toList(), state.vmRunning(),
                state.numVqs() >= 0);
    }

    private static DeviceView view(DeviceState state) {
        List<DeviceView.QueueProgress> queues = new ArrayList<>();
        new TreeMap<>(state.queues()).forEach((index, mark) -> queues.add(progress(index, mark)));
        List<AlertView> alerts = alertsOf(state);
        alerts.sort(ALERT_ORDER);
        var identity = state.identity();
        return new DeviceView(identity.key().asString(), identity.key().hostId(), identity.vmName().orElse(identity.key().vm()),
                identity.key().devicePath(), identity.deviceName(), identity.group(), verdict(state), state.vmRunning(),
                state.driverOk(), state.lastSample().eventTime(), queues, alerts);
    }

    private static DeviceView.QueueProgress progress(int index, QueueMark mark) {
        return new DeviceView.QueueProgress(index,
                mark.usedIdx().isPresent() ? Optional.of(mark.usedIdx().getAsInt()) : Optional.empty(), mark.lastProgress());
    }
}
