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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracks agent heartbeats per host and, on the wall clock, fires agent-silent for hosts gone quiet.
 * A check that comes much later than scheduled means this application was not running its task
 * (restarted, rebalanced, stalled): judging starts over from then (see {@link SilenceJudge}).
 */
final class HeartbeatProcessor implements Processor<String, AgentHeartbeat, String, VirtioAlert> {
    static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    /** Checks further apart than this are a gap in our own judging, not in the agents' heartbeats. */
    static final Duration OWN_GAP = CHECK_EVERY.multipliedBy(5);
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatProcessor.class);

    private final SilenceJudge judge;
    private ProcessorContext<String, VirtioAlert> context;
    private KeyValueStore<String, AgentLiveness> store;
    private Instant judgingSince;
    private Instant lastCheck;

    HeartbeatProcessor(SilenceJudge judge) {
        this.judge = judge;
    }

    @Override
    public void init(ProcessorContext<String, VirtioAlert> context) {
        this.context = context;
        this.store = context.getStateStore(DetectionTopology.LIVENESS_STORE);
        this.judgingSince = Instant.ofEpochMilli(context.currentSystemTimeMs());
        this.lastCheck = judgingSince;
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
        Duration sinceLastCheck = Duration.between(lastCheck, now);
        lastCheck = now;
        if (sinceLastCheck.compareTo(OWN_GAP) > 0) {
            LOG.warn("agent-silent checks paused for {} ms (this application restarted, rebalanced or stalled); "
                    + "agents' silence is counted from now", sinceLastCheck.toMillis());
            judgingSince = now;
        }
        List<SilenceJudge.Judged> fired = new ArrayList<>();
        try (KeyValueIterator<String, AgentLiveness> all = store.all()) {
            all.forEachRemaining(entry -> judge.tick(entry.value, now, judgingSince).ifPresent(fired::add));
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
