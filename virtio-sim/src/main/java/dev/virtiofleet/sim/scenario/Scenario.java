package dev.virtiofleet.sim.scenario;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * A validated simulation plan: hosts with their VMs and traffic, and a timeline of fault
 * injections and recoveries. Read one with {@link ScenarioReader}, grow one with {@link FleetScaling}.
 */
public record Scenario(long seed, List<HostPlan> hosts, List<TimelineStep> timeline) {
    public Scenario {
        hosts = List.copyOf(hosts);
        timeline = List.copyOf(timeline);
    }

    public int vmCount() {
        return hosts.stream().mapToInt(h -> h.vms().size()).sum();
    }

    /** A VM's UUID: the same seed, host and name always give the same UUID, so a run replays exactly. */
    static UUID vmUuid(long seed, String host, String vm) {
        return UUID.nameUUIDFromBytes((seed + "/" + host + "/" + vm).getBytes(StandardCharsets.UTF_8));
    }
}
