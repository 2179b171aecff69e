package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.agent.config.Require;
import dev.virtiofleet.agent.poll.SweepPolicy;
import java.time.Duration;
import java.util.Objects;

/**
 * When VMs are polled.
 *
 * @param interval           time between sweeps of one VM ({@code poll.interval}, default 10 s, at least 10 ms)
 * @param jitter             fraction of the interval over which VMs' sweeps are spread ({@code poll.jitter},
 *     0..1, default 1: each VM gets a random phase anywhere in the interval, so a host's VMs never poll in lockstep)
 * @param reconnect          backoff between failed connects to one monitor ({@code poll.reconnect-backoff},
 *     default 1 s doubling up to 5 min)
 * @param timeoutsToOpen     consecutive timed-out sweeps after which a VM's circuit opens ({@code
 *     poll.circuit.timeouts-to-open}, 1..100, default 3)
 * @param circuit            how long an open circuit waits before the next try ({@code poll.circuit.backoff},
 *     default one interval doubling up to 10 min), so a hanging monitor is not hammered
 * @param sweep              how much each sweep reads ({@link SweepPolicy}, {@code poll.census-every})
 */
public record PollConfig(Duration interval, double jitter, Backoff reconnect, int timeoutsToOpen, Backoff circuit,
        SweepPolicy sweep) {

    public PollConfig {
        Require.atLeast("poll.interval", interval, Duration.ofMillis(10));
        Require.inRange("poll.jitter", jitter, 0.0, 1.0);
        Objects.requireNonNull(reconnect, "reconnect").validate("poll.reconnect-backoff");
        Require.inRange("poll.circuit.timeouts-to-open", timeoutsToOpen, 1, 100);
        Objects.requireNonNull(circuit, "circuit").validate("poll.circuit.backoff");
        Objects.requireNonNull(sweep, "sweep");
    }

    public static PollConfig defaults() {
        return every(Duration.ofSeconds(10));
    }

    /** Defaults scaled to {@code interval}. */
    public static PollConfig every(Duration interval) {
        Duration circuitMax = interval.multipliedBy(60).compareTo(Duration.ofMinutes(10)) > 0
                ? Duration.ofMinutes(10) : interval.multipliedBy(60);
        Duration reconnectInitial = interval.compareTo(Duration.ofSeconds(1)) < 0 ? interval : Duration.ofSeconds(1);
        return new PollConfig(interval, 1.0, new Backoff(reconnectInitial, Duration.ofMinutes(5)), 3,
                new Backoff(interval, circuitMax), SweepPolicy.defaults());
    }
}
