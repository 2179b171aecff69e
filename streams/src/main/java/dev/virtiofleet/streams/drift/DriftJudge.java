package dev.virtiofleet.streams.drift;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.alerts.AlertFactory;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.alerts.Observation;
import dev.virtiofleet.streams.config.RuleSettings;
import dev.virtiofleet.streams.observe.SampleRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Feature drift: within a fleet group, a device whose host features differ from the prevailing set
 * for its model is a live-migration hazard (a VM cannot move to a host whose device offers less).
 * Fires for each such device, resolves when it matches again, or leaves, or the group no longer
 * has a prevailing set. Only members whose verdict can have changed are judged: the reporting
 * device, or everyone when the prevailing set changed.
 */
public final class DriftJudge {
    private final RuleSettings settings;

    public DriftJudge(RuleSettings settings) {
        this.settings = settings;
    }

    /** The new tally and the alert transitions; {@code members} is updated in place. */
    public record Judged(Tally tally, List<VirtioAlert> alerts) {}

    public Judged step(Tally tally, GroupMembers members, FeatureReport report) {
        String key = report.device().key().asString();
        Optional<Member> before = members.get(key);
        Tally next = before.map(member -> tally.without(member.signature())).orElse(tally);
        List<VirtioAlert> alerts = new ArrayList<>();
        if (report.hostFeatures().isEmpty()) {
            members.delete(key);
            before.flatMap(Member::drift).ifPresent(episode -> alerts.add(resolve(before.get(), episode,
                    new Observation(report.ref(), "device left the group", Map.of(), Map.of()), report.ref())));
        } else {
            FeatureSet features = report.hostFeatures().get();
            String signature = Signature.of(features);
            next = next.with(signature, features);
            members.put(key, new Member(report.device(), signature, features, before.flatMap(Member::drift)));
        }
        if (!settings.enabled()) {
            return new Judged(next, alerts);
        }
        boolean prevailingChanged = !next.prevailing().equals(tally.prevailing());
        List<Member> toJudge = prevailingChanged ? members.all() : members.get(key).map(List::of).orElse(List.of());
        for (Member member : toJudge) {
            judge(member, next, report.ref(), members, alerts);
        }
        return new Judged(next, alerts);
    }

    private void judge(Member member, Tally tally, SampleRef ref, GroupMembers members, List<VirtioAlert> alerts) {
        Optional<String> prevailing = tally.prevailing();
        boolean drifts = prevailing.isPresent() && !prevailing.get().equals(member.signature());
        String key = member.device().key().asString();
        if (drifts && member.drift().isEmpty()) {
            FeatureSet norm = tally.sets().get(prevailing.get());
            Observation seen = observation(member, norm, tally, prevailing.get(), ref);
            AlertFactory.Subject subject = AlertFactory.Subject.of(member.device(), OptionalInt.empty());
            Episode episode = new Episode(AlertFactory.alertId(AlertKind.FEATURE_DRIFT, subject, ref.eventTime()),
                    settings.severity(), seen, seen, Optional.empty());
            members.put(key, member.withDrift(Optional.of(episode)));
            alerts.add(AlertFactory.firing(AlertKind.FEATURE_DRIFT, subject, episode));
        } else if (!drifts && member.drift().isPresent()) {
            members.put(key, member.withDrift(Optional.empty()));
            String why = prevailing.isPresent() ? "host features match the group's prevailing set again"
                    : "the group has no prevailing feature set any more";
            alerts.add(resolve(member, member.drift().get(), new Observation(ref, why, Map.of(), Map.of()), ref));
        }
    }

    private static VirtioAlert resolve(Member member, Episode episode, Observation end, SampleRef ref) {
        return AlertFactory.resolved(AlertKind.FEATURE_DRIFT, AlertFactory.Subject.of(member.device(), OptionalInt.empty()),
                episode, end, ref.eventTime());
    }

    private static Observation observation(Member member, FeatureSet prevailing, Tally tally, String signature, SampleRef ref) {
        FeatureSet extra = member.hostFeatures().minus(prevailing);
        FeatureSet missing = prevailing.minus(member.hostFeatures());
        Map<String, String> details = new TreeMap<>();
        details.put("group", member.device().group().orElse(""));
        details.put("offers-beyond-group", describe(extra));
        details.put("lacks-from-group", describe(missing));
        String text = member.device().deviceName() + " host features differ from the " + tally.counts().get(signature)
                + " of " + tally.devices() + " in its group: lacks [" + describe(missing) + "], adds [" + describe(extra) + "]";
        return new Observation(ref, text, Map.of("group-devices", (long) tally.devices(),
                "prevailing-devices", (long) tally.counts().get(signature)), details);
    }

    private static String describe(FeatureSet features) {
        String symbols = String.join(",", features.symbols());
        return features.unknownBits() == 0 ? symbols
                : symbols + (symbols.isEmpty() ? "" : ",") + "0x" + Long.toHexString(features.unknownBits());
    }
}
