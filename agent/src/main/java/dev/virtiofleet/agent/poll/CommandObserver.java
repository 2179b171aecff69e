package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.QmpOutcome;
import java.time.Duration;

/** Told of every command a poller sent once its outcome is known (self-metrics). Must not block. */
@FunctionalInterface
public interface CommandObserver {
    CommandObserver NONE = (command, outcome, latency) -> {};

    /**
     * @param command the QMP command name ({@code execute})
     * @param latency from handing the command to the connection until its outcome
     */
    void completed(String command, QmpOutcome outcome, Duration latency);
}
