package dev.virtiofleet.sim.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.ManualClock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** How the direct load shares VMs out among its threads: every VM once, a host whole where hosts suffice. */
class DirectKafkaLoadSharesTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T00:00:00Z"));

    @Test
    void withAsManyHostsAsThreadsEachHostGoesWholeToOneThread() {
        Map<String, List<SimulatedVm>> hosts = hosts(3, 4);
        List<Map<String, List<SimulatedVm>>> shares = DirectKafkaLoad.shareOut(hosts, 2);
        assertEquals(List.of(List.of("h0", "h2"), List.of("h1")), shares.stream().map(s -> List.copyOf(s.keySet())).toList());
        shares.forEach(share -> share.forEach((host, vms) -> assertEquals(hosts.get(host), vms, host)));
    }

    @Test
    void withFewerHostsThanThreadsAHostsVmsAreSharedOut() {
        Map<String, List<SimulatedVm>> hosts = hosts(1, 5);
        List<Map<String, List<SimulatedVm>>> shares = DirectKafkaLoad.shareOut(hosts, 2);
        List<SimulatedVm> vms = hosts.get("h0");
        assertEquals(List.of(vms.get(0), vms.get(2), vms.get(4)), shares.get(0).get("h0"));
        assertEquals(List.of(vms.get(1), vms.get(3)), shares.get(1).get("h0"));
    }

    private Map<String, List<SimulatedVm>> hosts(int count, int vmsEach) {
        Map<String, List<SimulatedVm>> hosts = new LinkedHashMap<>();
        for (int h = 0; h < count; h++) {
            List<SimulatedVm> vms = new ArrayList<>();
            for (int v = 0; v < vmsEach; v++) {
                vms.add(new SimulatedVm(new VmSpec("h" + h + "-vm" + v, UUID.randomUUID(), List.of()), clock));
            }
            hosts.put("h" + h, vms);
        }
        return hosts;
    }
}
