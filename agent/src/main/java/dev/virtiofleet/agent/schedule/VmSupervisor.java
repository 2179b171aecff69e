package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.poll.SweepOutcome;
import dev.virtiofleet.agent.poll.VmPoller;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpConnectException;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.avro.MonitorState;
import dev.virtiofleet.avro.VirtioSample;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls one VM on its own virtual thread, every interval at the VM's own phase: connects (with
 * backoff), sweeps, hands samples to the sink, opens its circuit after repeated timeouts. Nothing
 * it does can delay another VM.
 */
final class VmSupervisor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VmSupervisor.class);

    private final QmpEndpoint endpoint;
    private final PollConfig poll;
    private final QmpClientConfig qmp;
    private final AgentRun run;
    private final SampleSink sink;
    private final Clock clock;
    private final Duration phase;
    private final CircuitBreaker breaker;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile VmStatus status;
    private Optional<VmPoller> poller = Optional.empty();
    private int failedConnects;

    VmSupervisor(QmpEndpoint endpoint, PollConfig poll, QmpClientConfig qmp, AgentRun run, SampleSink sink, Clock clock,
            Duration phase) {
        this.endpoint = endpoint;
        this.poll = poll;
        this.qmp = qmp;
        this.run = run;
        this.sink = sink;
        this.clock = clock;
        this.phase = phase;
        this.breaker = new CircuitBreaker(poll.timeoutsToOpen(), poll.circuit());
        this.status = VmStatus.initial(endpoint);
        this.thread = Thread.ofVirtual().name("poll-" + endpoint.describe()).unstarted(this::loop);
    }

    void start() {
        thread.start();
    }

    VmStatus status() {
        return status;
    }

    private void loop() {
        long next = System.nanoTime() + phase.toNanos();
        try {
            while (!stopping) {
                sleepUntil(next);
                if (stopping) {
                    break;
                }
                Optional<Duration> holdOff = tickSurvivingBugs();
                long now = System.nanoTime();
                next = Math.max(next + poll.interval().toNanos(), now);
                if (holdOff.isPresent()) {
                    next = Math.max(next, now + holdOff.get().toNanos());
                }
            }
        } catch (InterruptedException e) {
            // stopping
        } finally {
            poller.ifPresent(VmPoller::close);
        }
    }

    private static void sleepUntil(long deadlineNanos) throws InterruptedException {
        long remaining;
        while ((remaining = deadlineNanos - System.nanoTime()) > 0) {
            LockSupport.parkNanos(remaining);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** A bug met while polling one VM must not end that VM's polling: start over on a new connection. */
    private Optional<Duration> tickSurvivingBugs() throws InterruptedException {
        try {
            return tick();
        } catch (RuntimeException e) {
            LOG.error("{}: polling failed unexpectedly; reconnecting", endpoint.describe(), e);
            poller.ifPresent(VmPoller::close);
            poller = Optional.empty();
            status = status.connecting("internal error: " + e);
            return Optional.of(poll.reconnect().delay(1));
        }
    }

    /** One scheduled turn; a wait longer than the interval when backing off. */
    private Optional<Duration> tick() throws InterruptedException {
        if (poller.isEmpty()) {
            Optional<Duration> notConnected = connect();
            if (notConnected.isPresent()) {
                return notConnected;
            }
        }
        SweepOutcome outcome = poller.orElseThrow().sweep();
        for (VirtioSample sample : outcome.samples()) {
            deliver(sample);
        }
        return switch (outcome) {
            case SweepOutcome.Completed completed -> {
                breaker.success();
                update(MonitorState.CONNECTED, Optional.empty(), outcome, false);
                yield Optional.empty();
            }
            case SweepOutcome.TimedOut timedOut -> {
                Optional<Duration> wait = breaker.timeout();
                String detail = wait.map(w -> breaker.consecutiveTimeouts() + " consecutive sweeps timed out ("
                        + timedOut.detail() + "); next try in " + w).orElse(timedOut.detail());
                if (wait.isPresent()) {
                    LOG.warn("{}: circuit open: {}", endpoint.describe(), detail);
                }
                update(wait.isPresent() ? MonitorState.CIRCUIT_OPEN : MonitorState.CONNECTED, Optional.of(detail), outcome, true);
                yield wait;
            }
            case SweepOutcome.Disconnected disconnected -> {
                poller.ifPresent(VmPoller::close);
                poller = Optional.empty();
                update(MonitorState.CONNECTING, Optional.of(disconnected.reason()), outcome, false);
                yield Optional.empty();
            }
            case SweepOutcome.Unpollable unpollable -> {
                update(MonitorState.NO_VIRTIO_COMMANDS, Optional.of(unpollable.reason()), outcome, false);
                yield Optional.empty();
            }
        };
    }

    private Optional<Duration> connect() throws InterruptedException {
        try {
            VmPoller connected = VmPoller.connect(endpoint, qmp, run, poll.sweep(), clock);
            poller = Optional.of(connected);
            failedConnects = 0;
            status = status.connected(connected.identity(), connected.greeting().version());
            LOG.info("{}: connected to QEMU {} ({})", endpoint.describe(), connected.greeting().version(), connected.identity());
            return Optional.empty();
        } catch (QmpConnectException e) {
            failedConnects++;
            Duration wait = poll.reconnect().delay(failedConnects);
            status = status.connecting(e.getMessage());
            if (failedConnects == 1) {
                LOG.warn("{}; retrying with backoff", e.getMessage());
            }
            return Optional.of(wait);
        }
    }

    private void deliver(VirtioSample sample) {
        try {
            sink.accept(sample);
        } catch (RuntimeException e) {
            LOG.error("sample sink failed for {} {}", endpoint.describe(), sample.getDevicePath(), e);
        }
    }

    private void update(MonitorState state, Optional<String> problem, SweepOutcome outcome, boolean timedOut) {
        boolean listed = outcome instanceof SweepOutcome.Completed || !outcome.samples().isEmpty();
        status = status.afterSweep(state, problem, listed ? Optional.of(outcome.samples().size()) : Optional.empty(),
                !outcome.samples().isEmpty(), timedOut, breaker.consecutiveTimeouts());
    }

    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            if (!thread.join(Duration.ofSeconds(10))) {
                LOG.warn("poll thread for {} did not stop within 10 s", endpoint.describe());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
