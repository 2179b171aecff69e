package dev.virtiofleet.streams.alerts;

import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.streams.observe.SampleRef;
import java.util.Map;
import java.util.TreeMap;

/** One sample's worth of evidence: which sample, what was seen, and the numbers. */
public record Observation(SampleRef ref, String text, Map<String, Long> values, Map<String, String> details) {
    public Observation {
        values = Map.copyOf(values);
        details = Map.copyOf(details);
    }

    Evidence toEvidence() {
        return Evidence.newBuilder()
                .setEventTime(ref.eventTime())
                .setAgentRunId(ref.agentRunId())
                .setAgentSequence(ref.agentSequence())
                .setObservation(text)
                .setValues(new TreeMap<>(values))
                .setDetails(new TreeMap<>(details))
                .build();
    }
}
