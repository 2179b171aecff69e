package dev.virtiofleet.streams.drift;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.observe.SampleRef;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The drift judgement on its own, with members kept in a map. */
class DriftJudgeTest {
    private static final FeatureSet FULL = features("VIRTIO_F_VERSION_1", "VIRTIO_NET_F_MRG_RXBUF");
    private static final FeatureSet NO_MRG = features("VIRTIO_F_VERSION_1");

    private final DriftJudge judge = new DriftJudge(DetectionConfig.defaults().rule(AlertKind.FEATURE_DRIFT));
    private final InMemoryMembers members = new InMemoryMembers();
    private Tally tally = Tally.EMPTY;
    private final List<VirtioAlert> alerts = new ArrayList<>();
    private int clock;

    @Test
    void whenTheMajorityChangesSidesTheVerdictsOfEveryMemberFollow() {
        report("a", FULL);
        report("b", FULL);
        report("c", NO_MRG);
        assertEquals(List.of("FIRING c"), transitions());

        // Two of the three are reconfigured without mergeable rx buffers: now "a" is the odd one out.
        report("b", NO_MRG);
        assertEquals(List.of("FIRING c", "FIRING a", "RESOLVED c"), transitions(), "members are judged in device-key order");
    }

    @Test
    void theOrderOfSymbolsDoesNotMakeADifferentSet() {
        report("a", FULL);
        report("b", features("VIRTIO_NET_F_MRG_RXBUF", "VIRTIO_F_VERSION_1"));
        report("c", FULL);
        assertEquals(List.of(), transitions());
        assertEquals(1, tally.counts().size());
    }

    @Test
    void unknownBitsCountAsFeatures() {
        report("a", FULL);
        report("b", FULL);
        report("c", new FeatureSet(new LinkedHashSet<>(FULL.symbols()), 1L << 40, List.of()));
        assertEquals(List.of("FIRING c"), transitions());
    }

    private void report(String vm, FeatureSet features) {
        DeviceIdentity device = new DeviceIdentity(new DeviceKey("hv-1", vm, "/machine/peripheral/net0/virtio-backend"),
                Optional.of(vm), Optional.of(vm), "virtio-net", Optional.of(1), Optional.of("fleet"));
        DriftJudge.Judged judged = judge.step(tally, members,
                new FeatureReport(device, new SampleRef(Instant.ofEpochSecond(1_800_000_000L + clock++), "run", clock), Optional.of(features)));
        tally = judged.tally();
        alerts.addAll(judged.alerts());
    }

    private List<String> transitions() {
        return alerts.stream().map(alert -> alert.getState() + " " + alert.getSubject().getVmUuid()).toList();
    }

    private static FeatureSet features(String... symbols) {
        return new FeatureSet(new LinkedHashSet<>(List.of(symbols)), 0, List.of());
    }

    private static final class InMemoryMembers implements GroupMembers {
        private final TreeMap<String, Member> members = new TreeMap<>();

        @Override
        public Optional<Member> get(String deviceKey) {
            return Optional.ofNullable(members.get(deviceKey));
        }

        @Override
        public void put(String deviceKey, Member member) {
            members.put(deviceKey, member);
        }

        @Override
        public void delete(String deviceKey) {
            members.remove(deviceKey);
        }

        @Override
        public List<Member> all() {
            return List.copyOf(members.values());
        }
    }
}
