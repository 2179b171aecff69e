package dev.virtiofleet.streams.detect;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.alerts.AlertFactory;
import dev.virtiofleet.streams.alerts.AlertKey;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.config.RuleSettings;
import dev.virtiofleet.streams.drift.FeatureReport;
import dev.virtiofleet.streams.drift.Signature;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;
import dev.virtiofleet.streams.rules.DeviceRule;
import dev.virtiofleet.streams.rules.Finding;
import dev.virtiofleet.streams.rules.QueueRule;
import dev.virtiofleet.streams.rules.RuleBook;
import dev.virtiofleet.streams.rules.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Detection for one device, one sample at a time: rules decide whether their condition holds,
 * clocks count how long it has, and the alert lifecycle turns that into exactly one FIRING and one
 * RESOLVED per episode. Pure: the same state and sample always give the same outcome.
 */
public final class DeviceMonitor {
    /** Hosts whose group is remembered, at most; a fleet has fewer, and past it the memo starts afresh. */
    private static final int GROUP_MEMO_LIMIT = 100_000;

    private final DetectionConfig config;
    private final RuleBook rules;
    /** The fleet group of each host seen: one regular expression match per host, not per sample (shared by stream threads). */
    private final Map<String, Optional<String>> groupOfHost = new ConcurrentHashMap<>();

    public DeviceMonitor(DetectionConfig config) {
        this.config = config;
        this.rules = new RuleBook(config);
    }

    private Optional<String> groupOf(String hostId) {
        Optional<String> group = groupOfHost.get(hostId);
        if (group == null) {
            if (groupOfHost.size() >= GROUP_MEMO_LIMIT) {
                groupOfHost.clear();
            }
            group = config.groups().groupOf(hostId);
            groupOfHost.put(hostId, group);
        }
        return group;
    }

    public Outcome step(Optional<DeviceState> prior, DeviceSnapshot now) {
        if (prior.isPresent() && !now.ref().eventTime().isAfter(prior.get().lastSample().eventTime())) {
            return new Outcome.Ignored("sample at " + now.ref().eventTime() + " is not after the latest processed sample at "
                    + prior.get().lastSample().eventTime());
        }
        if (now.gone()) {
            if (prior.isEmpty()) {
                return new Outcome.Gone(List.of(), Optional.empty());
            }
            return retire(prior.get(), new Observation(now.ref(), "device no longer present (unplugged)", Map.of(), Map.of()));
        }
        Step step = new Step(prior, now);
        step.run();
        DeviceState next = step.nextState();
        long priorDigest = prior.map(DeviceState::hostFeaturesDigest).orElse(0L);
        Optional<FeatureReport> report = now.status()
                .filter(status -> next.hostFeaturesDigest() != priorDigest)
                .map(status -> new FeatureReport(next.identity(), now.ref(), Optional.of(status.hostFeatures())));
        return new Outcome.Tracked(next, step.alerts, report);
    }

    /** A device that is gone: every alert resolves at the time of {@code end}, and its group hears it left. */
    public Outcome.Gone retire(DeviceState state, Observation end) {
        List<VirtioAlert> alerts = new ArrayList<>();
        state.episodes().forEach((key, episode) ->
                alerts.add(AlertFactory.resolved(key.kind(), subject(state.identity(), key), episode, end, end.ref().eventTime())));
        Optional<FeatureReport> departure = state.hostFeaturesDigest() == 0 ? Optional.empty()
                : Optional.of(new FeatureReport(state.identity(), end.ref(), Optional.empty()));
        return new Outcome.Gone(alerts, departure);
    }

    /**
     * A digest of a feature set, never 0 (0 means "none reported yet"). Like {@link Signature} it does
     * not depend on the order the symbols are listed in; unlike it, it builds nothing: each symbol's
     * hash is mixed to 64 bits and the mixes are summed.
     */
    static long digest(FeatureSet features) {
        long digest = mix(features.unknownBits() ^ 0x5DEECE66DL) + features.symbols().size();
        for (String symbol : features.symbols()) {
            digest += mix(symbol.hashCode() ^ ((long) symbol.length() << 32));
        }
        return digest == 0 ? 1 : digest;
    }

    private static long mix(long value) {
        long z = value * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static AlertFactory.Subject subject(DeviceIdentity device, AlertKey key) {
        return AlertFactory.Subject.of(device, key.queue());
    }

    /** The work of one sample; mutable only while it runs. */
    private final class Step {
        private final Optional<DeviceState> prior;
        private final DeviceSnapshot now;
        private final DeviceIdentity identity;
        private final Map<AlertKey, Pending> pending;
        private final Map<AlertKey, Episode> episodes;
        private final List<VirtioAlert> alerts = new ArrayList<>();
        private int epoch;

        Step(Optional<DeviceState> prior, DeviceSnapshot now) {
            this.prior = prior;
            this.now = now;
            DeviceIdentity seen = now.identity().inGroup(groupOf(now.key().hostId()));
            // A sample whose status failed does not know the device type; the last one that did, does.
            this.identity = seen.deviceId().isPresent() || prior.isEmpty() ? seen
                    : new DeviceIdentity(seen.key(), seen.vmName(), seen.vmUuid(), seen.deviceName(),
                            prior.get().identity().deviceId(), seen.group());
            this.pending = new HashMap<>(prior.map(DeviceState::pending).orElse(Map.of()));
            this.episodes = new TreeMap<>(prior.map(DeviceState::episodes).orElse(Map.of()));
            this.epoch = prior.map(DeviceState::epoch).orElse(0);
        }

        void run() {
            prior.flatMap(state -> EpochChange.between(state, now)).ifPresent(this::startNewEpoch);
            long elapsed = prior.map(state -> Duration.between(state.lastSample().eventTime(), now.ref().eventTime()).toMillis())
                    .orElse(0L);
            if (now.status().isEmpty()) {
                // Without a status nothing can be judged; every clock and alert holds as it is.
                return;
            }
            DeviceStatusView status = now.status().get();
            for (DeviceRule rule : rules.deviceRules()) {
                judge(AlertKey.device(rule.kind()), rule.evaluate(now, status), elapsed, 1, null);
            }
            if (!now.vmRunning()) {
                // Paused: queue clocks neither advance nor reset, firing queue alerts stay.
                return;
            }
            long runningMillis = prior.isPresent() && prior.get().vmRunning() ? elapsed : 0;
            boolean active = status.active();
            for (QueueRule rule : rules.queueRules()) {
                for (QueueView queue : now.queues()) {
                    Verdict verdict = active ? rule.evaluate(status, queue) : Verdict.CLEAR;
                    if (verdict instanceof Verdict.Clear && pending.isEmpty() && episodes.isEmpty()) {
                        // Nothing counting, nothing firing, nothing found: the common case, with nothing to do.
                        continue;
                    }
                    judge(AlertKey.queue(rule.kind(), queue.index()), verdict, runningMillis, QueueRule.MIN_SAMPLES, queue);
                }
            }
        }

        private void startNewEpoch(String reason) {
            epoch++;
            pending.keySet().removeIf(key -> key.queue().isPresent());
            Observation end = observation("new device epoch: " + reason, Map.of(), Map.of());
            episodes.entrySet().removeIf(entry -> {
                if (entry.getKey().queue().isEmpty()) {
                    return false;
                }
                alerts.add(AlertFactory.resolved(entry.getKey().kind(), subject(identity, entry.getKey()), entry.getValue(), end,
                        now.ref().eventTime()));
                return true;
            });
        }

        /** @param queue the queue judged, whose index values are the evidence of a clearing; null for a device rule */
        private void judge(AlertKey key, Verdict verdict, long creditMillis, int minSamples, QueueView queue) {
            switch (verdict) {
                case Verdict.Holds holds -> advance(key, Optional.of(holds.finding()), creditMillis, minSamples, queue);
                case Verdict.Clear clear -> advance(key, Optional.empty(), creditMillis, minSamples, queue);
                case Verdict.Unknown unknown -> {
                    // Missing data neither advances nor clears: the clock and the alert wait for a sample that has it.
                }
            }
        }

        private void advance(AlertKey key, Optional<Finding> finding, long creditMillis, int minSamples, QueueView queue) {
            Pending clock = pending.get(key);
            if (finding.isEmpty() && clock == null && !episodes.containsKey(key)) {
                return;
            }
            if (finding.isEmpty()) {
                clock = null;
            } else if (clock == null || clock.mark() != finding.get().mark()) {
                Finding found = finding.get();
                clock = new Pending(found.mark(), observation(found.observation(), found.values(), found.details()), 0, 1);
            } else {
                clock = clock.advanced(creditMillis);
            }
            if (clock == null) {
                pending.remove(key);
            } else {
                pending.put(key, clock);
            }
            RuleSettings settings = config.rule(key.kind());
            boolean holds = clock != null && clock.samples() >= minSamples
                    && clock.heldMillis() >= settings.fireAfter(now.deviceName()).toMillis();
            Episode episode = episodes.get(key);
            if (holds && episode == null) {
                Finding found = finding.orElseThrow();
                Observation fired = observation(found.observation(), found.values(), found.details());
                AlertFactory.Subject subject = subject(identity, key);
                String id = AlertFactory.alertId(key.kind(), subject, clock.first().ref().eventTime());
                Episode started = new Episode(id, settings.severity(), clock.first(), fired, Optional.empty());
                episodes.put(key, started);
                alerts.add(AlertFactory.firing(key.kind(), subject, started));
            } else if (holds) {
                episodes.put(key, episode.continued());
            } else if (episode != null) {
                Map<String, Long> values = queue == null ? Map.of() : queue.evidenceValues();
                Episode clearing = episode.clearingSince(observation(cleared(key.kind(), finding), values, Map.of()));
                Instant since = clearing.clearing().orElseThrow().ref().eventTime();
                if (!now.ref().eventTime().isBefore(since.plus(settings.resolveAfter()))) {
                    episodes.remove(key);
                    alerts.add(AlertFactory.resolved(key.kind(), subject(identity, key), clearing, clearing.clearing().get(),
                            now.ref().eventTime()));
                } else {
                    episodes.put(key, clearing);
                }
            }
        }

        private String cleared(AlertKind kind, Optional<Finding> finding) {
            return finding.isPresent()
                    ? "progress since the alert fired; condition restarted below its threshold: " + finding.get().observation()
                    : DetectionConfig.ruleName(kind) + " condition no longer holds";
        }

        private Observation observation(String text, Map<String, Long> values, Map<String, String> details) {
            return new Observation(now.ref(), text, values, details);
        }

        DeviceState nextState() {
            Map<Integer, QueueMark> queues = queueMarks(prior.map(DeviceState::queues).orElse(Map.of()));
            boolean driverOk = now.status().map(DeviceStatusView::driverOk)
                    .orElse(prior.map(DeviceState::driverOk).orElse(false));
            long numVqs = now.status().map(DeviceStatusView::numVqs).orElse(prior.map(DeviceState::numVqs).orElse(-1L));
            long featuresDigest = now.status().map(status -> digest(status.hostFeatures()))
                    .orElse(prior.map(DeviceState::hostFeaturesDigest).orElse(0L));
            return new DeviceState(identity, epoch, now.ref(), now.vmRunning(), driverOk, numVqs, featuresDigest, queues,
                    pending, episodes, prior.flatMap(DeviceState::healthPublished));
        }

        /** Each polled queue's new mark, and the marks in {@code before} of the queues this sample did not poll. */
        private Map<Integer, QueueMark> queueMarks(Map<Integer, QueueMark> before) {
            List<QueueView> polled = now.queues();
            if (polled.size() == before.size() && pollsEachOnce(polled, before)) {
                // The usual sample, of the queues the one before had: built as the immutable map the state
                // keeps, not as a copy of the prior map updated and copied again (a device has up to a dozen queues).
                @SuppressWarnings("unchecked")
                Map.Entry<Integer, QueueMark>[] marks = new Map.Entry[polled.size()];
                for (int i = 0; i < marks.length; i++) {
                    QueueView queue = polled.get(i);
                    marks[i] = Map.entry(queue.index(), mark(before.get(queue.index()), queue));
                }
                return Map.ofEntries(marks);
            }
            Map<Integer, QueueMark> queues = new HashMap<>(before);
            for (QueueView queue : polled) {
                queues.put(queue.index(), mark(queues.get(queue.index()), queue));
            }
            return queues;
        }

        /**
         * Whether {@code polled} has each queue of {@code before} exactly once, when it has as many; only
         * for queue numbers below 64, which is every device's but a rare one's.
         */
        private static boolean pollsEachOnce(List<QueueView> polled, Map<Integer, QueueMark> before) {
            long seen = 0;
            for (QueueView queue : polled) {
                int index = queue.index();
                if (index < 0 || index >= Long.SIZE || (seen & (1L << index)) != 0 || !before.containsKey(index)) {
                    return false;
                }
                seen |= 1L << index;
            }
            return true;
        }

        /** What to remember of {@code queue}, whose mark at the sample before was {@code before} (null when none). */
        private QueueMark mark(QueueMark before, QueueView queue) {
            Optional<Instant> lastProgress = before == null ? Optional.empty() : before.lastProgress();
            boolean moved = before != null && before.usedIdx().isPresent() && queue.usedIdx().isPresent()
                    && before.usedIdx().getAsInt() != queue.usedIdx().getAsInt();
            if (moved) {
                lastProgress = Optional.of(now.ref().eventTime());
            }
            return new QueueMark(queue.ringLayout(), queue.usedIdx(), queue.inuse(), lastProgress);
        }
    }
}
