package dev.virtiofleet.sim.scenario;

import dev.virtiofleet.sim.Simulator;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A scenario running: one {@link Simulator} per host, sockets in {@code <socketBase>/<host>/},
 * traffic applied, and the timeline applied whenever {@link #applyDueSteps()} is called (by a
 * scheduler in production, by a test after moving its clock).
 */
public final class ScenarioRun implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScenarioRun.class);

    private final Scenario scenario;
    private final InstantSource clock;
    private final Instant start;
    private final Map<String, Simulator> hosts = new LinkedHashMap<>();
    private int nextStep;

    private ScenarioRun(Scenario scenario, InstantSource clock) {
        this.scenario = scenario;
        this.clock = clock;
        this.start = clock.instant();
    }

    public static ScenarioRun start(Scenario scenario, Path socketBase, InstantSource clock) throws IOException {
        ScenarioRun run = new ScenarioRun(scenario, clock);
        try {
            for (HostPlan host : scenario.hosts()) {
                Simulator simulator = Simulator.start(socketBase.resolve(host.name()), clock,
                        host.vms().stream().map(VmPlan::spec).toList());
                run.hosts.put(host.name(), simulator);
                for (VmPlan vm : host.vms()) {
                    SimulatedVm running = simulator.vm(vm.spec().name());
                    vm.traffic().forEach(running::setTraffic);
                }
            }
        } catch (IOException | RuntimeException e) {
            run.close();
            throw e;
        }
        return run;
    }

    /** Applies every step whose time has come, in order; returns them. */
    public synchronized List<TimelineStep> applyDueSteps() {
        Duration elapsed = Duration.between(start, clock.instant());
        List<TimelineStep> applied = new ArrayList<>();
        while (nextStep < scenario.timeline().size() && scenario.timeline().get(nextStep).at().compareTo(elapsed) <= 0) {
            TimelineStep step = scenario.timeline().get(nextStep++);
            SimulatedVm vm = host(step.host()).vm(step.vm());
            try {
                if (step.inject()) {
                    step.fault().inject(vm);
                } else {
                    step.fault().recover(vm);
                    if (step.fault() instanceof Fault.HotUnplug unplugged) {
                        // The guest uses the replugged device as it used the old one.
                        restoreTraffic(step.host(), vm, unplugged.device().id());
                    }
                }
                applied.add(step);
            } catch (RuntimeException e) {
                // e.g. recovering an unplug that never happened: report and carry on with the timeline.
                LOG.warn("timeline step at {} on {}/{} failed: {}", step.at(), step.host(), step.vm(), e.getMessage());
            }
        }
        return applied;
    }

    private void restoreTraffic(String host, SimulatedVm vm, String deviceId) {
        scenario.hosts().stream().filter(h -> h.name().equals(host)).flatMap(h -> h.vms().stream())
                .filter(plan -> plan.spec().name().equals(vm.name()))
                .flatMap(plan -> plan.traffic().entrySet().stream())
                .filter(entry -> entry.getKey().deviceId().equals(deviceId))
                .forEach(entry -> vm.setTraffic(entry.getKey(), entry.getValue()));
    }

    /** Applies the timeline in real time: checks for due steps every {@code tick} on {@code executor}. */
    public ScheduledFuture<?> runTimelineOn(ScheduledExecutorService executor, Duration tick) {
        return runTimelineOn(executor, tick, step -> {});
    }

    /** As {@link #runTimelineOn(ScheduledExecutorService, Duration)}, telling {@code applied} each step taken. */
    public ScheduledFuture<?> runTimelineOn(ScheduledExecutorService executor, Duration tick, Consumer<TimelineStep> applied) {
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("timeline tick must be positive, got " + tick);
        }
        return executor.scheduleAtFixedRate(() -> applyDueSteps().forEach(applied), 0, tick.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** The hosts' names, in the scenario's order. */
    public List<String> hostNames() {
        return List.copyOf(hosts.keySet());
    }

    /** When the next step is due, as an offset from the start; empty once the timeline is done. */
    public synchronized Optional<Duration> nextStepAt() {
        return nextStep < scenario.timeline().size()
                ? Optional.of(scenario.timeline().get(nextStep).at()) : Optional.empty();
    }

    public Simulator host(String name) {
        Simulator simulator = hosts.get(name);
        if (simulator == null) {
            throw new IllegalArgumentException("no host " + name + " in this scenario; there are " + hosts.keySet());
        }
        return simulator;
    }

    @Override
    public void close() {
        hosts.values().forEach(Simulator::close);
    }
}
