package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.QmpOutcome;
import dev.virtiofleet.avro.OutcomeCounts;
import java.util.concurrent.atomic.LongAdder;

/** Cumulative command outcomes of every VM this run polls, for the heartbeat. Thread-safe. */
public final class OutcomeTally {
    private final LongAdder replies = new LongAdder();
    private final LongAdder qmpErrors = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder connectionsLost = new LongAdder();
    private final LongAdder decodeFailures = new LongAdder();

    void count(QmpOutcome outcome) {
        switch (outcome) {
            case QmpOutcome.Reply reply -> replies.increment();
            case QmpOutcome.QmpError error -> qmpErrors.increment();
            case QmpOutcome.Timeout timeout -> timeouts.increment();
            case QmpOutcome.ConnectionLost lost -> connectionsLost.increment();
        }
    }

    void countDecodeFailure() {
        decodeFailures.increment();
    }

    public OutcomeCounts snapshot() {
        return new OutcomeCounts(replies.sum(), qmpErrors.sum(), timeouts.sum(), connectionsLost.sum(), decodeFailures.sum());
    }
}
