package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.agents.AgentLiveness;
import dev.virtiofleet.streams.agents.SilenceJudge;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Tracks agent heartbeats per host and, on the wall clock, fires agent-silent for hosts gone quiet. */
final class HeartbeatProcessor implements Processor<String, AgentHeartbeat, String, VirtioAlert> {
    static final Duration CHECK_EVERY = Duration.ofSeconds(1);

    private final SilenceJudge judge;
    private ProcessorContext<String, VirtioAlert> context;
    private KeyValueStore<String, AgentLiveness> store;

    HeartbeatProcessor(SilenceJudge judge) {
        this.judge = judge;
    }

    @Override
    public void init(ProcessorContext<String, VirtioAlert> context) {
        this.context = context;
        this.store = context.getStateStore(DetectionTopology.LIVENESS_STORE);
        context.schedule(CHECK_EVERY, PunctuationType.WALL_CLOCK_TIME, this::checkSilence);
    }

    @Override
    public void process(Record<String, AgentHeartbeat> record) {
        AgentHeartbeat heartbeat = record.value();
        if (heartbeat == null) {
            return;
        }
        Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
        SilenceJudge.Judged judged = judge.heartbeat(Optional.ofNullable(store.get(heartbeat.getHostId())), heartbeat, now);
        store.put(heartbeat.getHostId(), judged.liveness());
        forward(judged.alerts());
    }

    private void checkSilence(long wallClock) {
        Instant now = Instant.ofEpochMilli(wallClock);
        List<SilenceJudge.Judged> fired = new ArrayList<>();
        try (KeyValueIterator<String, AgentLiveness> all = store.all()) {
            all.forEachRemaining(entry -> judge.tick(entry.value, now).ifPresent(fired::add));
        }
        for (SilenceJudge.Judged judged : fired) {
            store.put(judged.liveness().hostId(), judged.liveness());
            forward(judged.alerts());
        }
    }

    private void forward(List<VirtioAlert> alerts) {
        for (VirtioAlert alert : alerts) {
            context.forward(new Record<>(alert.getAlertId(), alert, alert.getEventTime().toEpochMilli()));
        }
    }
}
