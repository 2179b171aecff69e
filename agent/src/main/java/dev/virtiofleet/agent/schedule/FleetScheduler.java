package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one {@link VmSupervisor} per known monitor: {@link #reconcile} starts new ones and stops
 * those whose monitor vanished. Each VM polls on its own thread at its own random phase.
 */
public final class FleetScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FleetScheduler.class);

    private final PollConfig poll;
    private final QmpClientConfig qmp;
    private final AgentRun run;
    private final SampleSink sink;
    private final Clock clock;
    private final RandomGenerator random;
    private final Map<QmpEndpoint, VmSupervisor> supervisors = new HashMap<>();
    private boolean closed;

    public FleetScheduler(PollConfig poll, QmpClientConfig qmp, AgentRun run, SampleSink sink, Clock clock,
            RandomGenerator random) {
        this.poll = poll;
        this.qmp = qmp;
        this.run = run;
        this.sink = sink;
        this.clock = clock;
        this.random = random;
    }

    /** Makes the polled set exactly {@code endpoints}. */
    public void reconcile(Set<QmpEndpoint> endpoints) {
        List<VmSupervisor> stopped = new ArrayList<>();
        synchronized (this) {
            if (closed) {
                return;
            }
            supervisors.entrySet().removeIf(entry -> {
                if (endpoints.contains(entry.getKey())) {
                    return false;
                }
                LOG.info("{}: monitor gone, no longer polled", entry.getKey().describe());
                stopped.add(entry.getValue());
                return true;
            });
            for (QmpEndpoint endpoint : endpoints) {
                supervisors.computeIfAbsent(endpoint, this::startSupervisor);
            }
        }
        stopped.forEach(VmSupervisor::close);
    }

    private VmSupervisor startSupervisor(QmpEndpoint endpoint) {
        Duration phase = Duration.ofNanos((long) (random.nextDouble() * poll.jitter() * poll.interval().toNanos()));
        VmSupervisor supervisor = new VmSupervisor(endpoint, poll, qmp, run, sink, clock, phase);
        supervisor.start();
        LOG.info("{}: polling every {} from {}", endpoint.describe(), poll.interval(), phase);
        return supervisor;
    }

    /** Every monitor's current state, ordered by endpoint. */
    public synchronized List<VmStatus> status() {
        return supervisors.values().stream().map(VmSupervisor::status)
                .sorted(Comparator.comparing(s -> s.endpoint().describe()))
                .toList();
    }

    @Override
    public void close() {
        List<VmSupervisor> all;
        synchronized (this) {
            closed = true;
            all = List.copyOf(supervisors.values());
            supervisors.clear();
        }
        all.forEach(VmSupervisor::close);
    }
}
