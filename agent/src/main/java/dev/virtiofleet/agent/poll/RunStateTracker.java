package dev.virtiofleet.agent.poll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.virtiofleet.agent.qmp.QmpEvent;
import dev.virtiofleet.agent.qmp.QmpOutcome;
import java.util.Optional;

/**
 * Follows the VM's run state from {@code query-status} replies and STOP/RESUME/SHUTDOWN events, so
 * paused time is never mistaken for a stall. Events arrive on the connection's reader thread,
 * replies are applied by the poller; whichever is newer wins.
 */
final class RunStateTracker {
    private Optional<RunState> current = Optional.empty();
    private long stateEvents;

    synchronized void onEvent(QmpEvent event) {
        switch (event.name()) {
            case "STOP" -> changeTo(new RunState("paused", false));
            case "RESUME" -> changeTo(new RunState("running", true));
            case "SHUTDOWN" -> changeTo(new RunState("shutdown", false));
            default -> {
                // other events do not change the run state
            }
        }
    }

    private void changeTo(RunState state) {
        current = Optional.of(state);
        stateEvents++;
    }

    /** A mark to pass to {@link #applyQueryStatus} for a query-status sent now. */
    synchronized long mark() {
        return stateEvents;
    }

    /**
     * Applies a query-status outcome unless a state event arrived since {@code mark}: such an event
     * is at least as new as the reply (QEMU either emitted it before answering, so the reply agrees,
     * or after, so the event is newer).
     */
    synchronized void applyQueryStatus(QmpOutcome outcome, long mark) {
        if (stateEvents != mark) {
            return;
        }
        JsonNode status = outcome instanceof QmpOutcome.Reply reply ? reply.value().tree() : MissingNode.getInstance();
        if (status.path("status").isTextual()) {
            current = Optional.of(new RunState(status.get("status").asText(), status.path("running").asBoolean(false)));
        } else {
            current = Optional.empty();
        }
    }

    synchronized Optional<RunState> current() {
        return current;
    }
}
