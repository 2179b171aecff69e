package dev.virtiofleet.sim.scenario;

import java.util.List;

/** One simulated hypervisor host: a socket directory of its own and its VMs. */
public record HostPlan(String name, List<VmPlan> vms) {
    public HostPlan {
        vms = List.copyOf(vms);
    }
}
