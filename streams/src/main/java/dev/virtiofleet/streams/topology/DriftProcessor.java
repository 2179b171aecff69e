package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.drift.DriftJudge;
import dev.virtiofleet.streams.drift.FeatureReport;
import dev.virtiofleet.streams.drift.GroupMembers;
import dev.virtiofleet.streams.drift.Member;
import dev.virtiofleet.streams.drift.Tally;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Judges feature drift per group and device model. Feature reports arrive partitioned by group key;
 * the tally of each group is one small store entry, its members one entry each (keyed
 * {@code groupKey + NUL + deviceKey}, read back by prefix scan), so a group of any size never
 * becomes one oversized value.
 */
final class DriftProcessor implements Processor<String, FeatureReport, String, VirtioAlert> {
    private static final String SEPARATOR = "\u0000";

    private final DriftJudge judge;
    private ProcessorContext<String, VirtioAlert> context;
    private KeyValueStore<String, Tally> tallies;
    private KeyValueStore<String, Member> members;

    DriftProcessor(DriftJudge judge) {
        this.judge = judge;
    }

    @Override
    public void init(ProcessorContext<String, VirtioAlert> context) {
        this.context = context;
        this.tallies = context.getStateStore(DetectionTopology.DRIFT_TALLY_STORE);
        this.members = context.getStateStore(DetectionTopology.DRIFT_MEMBER_STORE);
    }

    @Override
    public void process(Record<String, FeatureReport> record) {
        FeatureReport report = record.value();
        if (report == null || report.groupKey().isEmpty()) {
            return;
        }
        String groupKey = report.groupKey().get();
        Tally tally = Optional.ofNullable(tallies.get(groupKey)).orElse(Tally.EMPTY);
        DriftJudge.Judged judged = judge.step(tally, new StoredMembers(groupKey), report);
        if (judged.tally().counts().isEmpty()) {
            tallies.delete(groupKey);
        } else {
            tallies.put(groupKey, judged.tally());
        }
        for (VirtioAlert alert : judged.alerts()) {
            context.forward(new Record<>(alert.getAlertId(), alert, alert.getEventTime().toEpochMilli()));
        }
    }

    /** One group's members in the member store. */
    private final class StoredMembers implements GroupMembers {
        private final String prefix;

        StoredMembers(String groupKey) {
            this.prefix = groupKey + SEPARATOR;
        }

        @Override
        public Optional<Member> get(String deviceKey) {
            return Optional.ofNullable(members.get(prefix + deviceKey));
        }

        @Override
        public void put(String deviceKey, Member member) {
            members.put(prefix + deviceKey, member);
        }

        @Override
        public void delete(String deviceKey) {
            members.delete(prefix + deviceKey);
        }

        @Override
        public List<Member> all() {
            List<Member> all = new ArrayList<>();
            try (KeyValueIterator<String, Member> scan = members.prefixScan(prefix, Serdes.String().serializer())) {
                scan.forEachRemaining(entry -> all.add(entry.value));
            }
            return all;
        }
    }
}
