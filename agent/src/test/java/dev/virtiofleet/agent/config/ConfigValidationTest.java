package dev.virtiofleet.agent.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.schedule.Backoff;
import dev.virtiofleet.agent.schedule.PollConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ConfigValidationTest {

    private static void assertRejected(String key, String value, String allowed, Executable construction) {
        ConfigException error = assertThrows(ConfigException.class, construction);
        assertEquals(key, error.key());
        assertTrue(error.getMessage().contains(value) && error.getMessage().contains(allowed), error.getMessage());
    }

    @Test
    void theDefaultsAreValid() {
        assertEquals(Duration.ofSeconds(10), PollConfig.defaults().interval());
        assertEquals(6, PollConfig.defaults().sweep().censusEvery(), "queues that never moved are read once a minute by default");
        assertEquals(1 << 20, QmpClientConfig.defaults().maxLineBytes());
    }

    @Test
    void everyBadValueIsNamedByKeyWithWhatIsAllowed() {
        QmpClientConfig qmp = QmpClientConfig.defaults();
        assertRejected("qmp.max-line-bytes", "100", "4096 to 67108864", () -> qmp.withMaxLineBytes(100));
        assertRejected("qmp.command-deadline", "PT0S", "positive duration", () -> qmp.withCommandDeadline(Duration.ZERO));
        assertRejected("poll.interval", "PT0.001S", "at least PT0.01S", () -> PollConfig.every(Duration.ofMillis(1)));
        assertRejected("poll.census-every", "0", "1 to 1000", () -> new SweepPolicy(0, 1));
        assertRejected("poll.idle-probe-every", "-1", "0 to 1000", () -> new SweepPolicy(1, -1));
        PollConfig poll = PollConfig.defaults();
        assertRejected("poll.jitter", "1.5", "0.0 to 1.0", () -> new PollConfig(poll.interval(), 1.5, poll.reconnect(),
                poll.timeoutsToOpen(), poll.circuit(), poll.sweep()));
        assertRejected("poll.circuit.timeouts-to-open", "0", "1 to 100", () -> new PollConfig(poll.interval(), 1, poll.reconnect(),
                0, poll.circuit(), poll.sweep()));
        assertRejected("poll.circuit.backoff.max", "PT1S", "at least PT10S", () -> new PollConfig(poll.interval(), 1,
                poll.reconnect(), 3, new Backoff(Duration.ofSeconds(10), Duration.ofSeconds(1)), poll.sweep()));
        assertRejected("poll.reconnect-backoff.initial", "PT0S", "positive duration", () -> new PollConfig(poll.interval(), 1,
                new Backoff(Duration.ZERO, Duration.ofSeconds(1)), 3, poll.circuit(), poll.sweep()));
    }
}
