package dev.virtiofleet.sim.scenario;

import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.Traffic;
import java.util.Map;

/** One VM to simulate and the traffic on its queues (queues not listed are idle). */
public record VmPlan(VmSpec spec, Map<QueueRef, Traffic> traffic) {
    public VmPlan {
        traffic = Map.copyOf(traffic);
    }
}
