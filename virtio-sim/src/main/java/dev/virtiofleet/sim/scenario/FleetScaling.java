package dev.virtiofleet.sim.scenario;

import dev.virtiofleet.sim.machine.VmSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Grows a scenario to a fleet size. The scenario's own hosts and VMs stay as written, because its
 * timeline names them; the fleet is filled up with copies of the scenario's VMs, taken in turn
 * (devices and traffic alike), spread as evenly as possible over the hosts, and with more hosts
 * named {@code host-NNNN}. Every VM's UUID derives from the seed, the host and the VM name.
 *
 * @param hosts how many hosts (socket directories) the fleet has
 * @param vms how many VMs the fleet has in all
 * @param seed from which VM UUIDs derive (replaces the scenario's own)
 */
public record FleetScaling(int hosts, int vms, long seed) {
    public static final int MAX_VMS = 1_000_000;

    public FleetScaling {
        if (hosts < 1) {
            throw new IllegalArgumentException("hosts is " + hosts + "; must be at least 1");
        }
        if (vms < hosts || vms > MAX_VMS) {
            throw new IllegalArgumentException("vms is " + vms + "; must be " + hosts + " (one per host).." + MAX_VMS);
        }
    }

    /** The scenario at this size; an error if it is smaller than the scenario itself. */
    public Scenario apply(Scenario scenario) {
        if (hosts < scenario.hosts().size()) {
            throw new IllegalArgumentException("hosts is " + hosts + "; the scenario declares " + scenario.hosts().size()
                    + " hosts, which its timeline may name, so at least that many are needed");
        }
        if (vms < scenario.vmCount()) {
            throw new IllegalArgumentException("vms is " + vms + "; the scenario declares " + scenario.vmCount()
                    + " VMs, which its timeline may name, so at least that many are needed");
        }
        List<VmPlan> templates = scenario.hosts().stream().flatMap(h -> h.vms().stream()).toList();
        List<String> names = hostNames(scenario);
        int extra = vms - scenario.vmCount();
        int copy = 0;
        List<HostPlan> grown = new ArrayList<>();
        for (int h = 0; h < hosts; h++) {
            String host = names.get(h);
            List<VmPlan> own = h < scenario.hosts().size() ? scenario.hosts().get(h).vms() : List.of();
            int share = vms / hosts + (h < vms % hosts ? 1 : 0);
            int added = Math.min(extra, Math.max(0, share - own.size()));
            // The last host takes whatever the scenario's crowded hosts left over.
            if (h == hosts - 1) {
                added = extra;
            }
            extra -= added;
            List<VmPlan> plans = new ArrayList<>();
            Set<String> taken = new HashSet<>();
            for (VmPlan plan : own) {
                plans.add(reseeded(plan, host, plan.spec().name()));
                taken.add(plan.spec().name());
            }
            for (int i = 0; i < added; i++, copy++) {
                VmPlan template = templates.get(copy % templates.size());
                String name = template.spec().name() + "." + copy;
                for (int n = 1; !taken.add(name); n++) {
                    name = template.spec().name() + "." + copy + "." + n;
                }
                plans.add(reseeded(template, host, name));
            }
            grown.add(new HostPlan(host, plans));
        }
        return new Scenario(seed, grown, scenario.timeline());
    }

    private VmPlan reseeded(VmPlan plan, String host, String name) {
        return new VmPlan(new VmSpec(name, Scenario.vmUuid(seed, host, name), plan.spec().devices()), plan.traffic());
    }

    private List<String> hostNames(Scenario scenario) {
        List<String> names = new ArrayList<>(scenario.hosts().stream().map(HostPlan::name).toList());
        Set<String> taken = new HashSet<>(names);
        int digits = Math.max(4, String.valueOf(hosts).length());
        for (int n = 1; names.size() < hosts; n++) {
            String name = "host-" + String.format("%0" + digits + "d", n);
            if (taken.add(name)) {
                names.add(name);
            }
        }
        return names;
    }
}
