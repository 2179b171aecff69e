package dev.virtiofleet.sim.scenario;

import java.util.List;

/**
 * A validated simulation plan: hosts with their VMs and traffic, and a timeline of fault
 * injections and recoveries. Read one with {@link ScenarioReader}.
 */
public record Scenario(long seed, List<HostPlan> hosts, List<TimelineStep> timeline) {
    public Scenario {
        hosts = List.copyOf(hosts);
        timeline = List.copyOf(timeline);
    }

    public int vmCount() {
        return hosts.stream().mapToInt(h -> h.vms().size()).sum();
    }
}
