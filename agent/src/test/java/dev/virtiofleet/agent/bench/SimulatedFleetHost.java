package dev.virtiofleet.agent.bench;

import dev.virtiofleet.kafka.EmbeddedKafkaBroker;
import dev.virtiofleet.sim.Simulator;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.Traffic;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The other side of {@link HostScaleBenchmark}, in a child JVM of its own: a Kafka broker and
 * {@code vms} simulated VMs (the transcripts' device set, busy disk and network) with monitors
 * {@code <socketDir>/vm-N.qmp}. Prints {@code bootstrap=HOST:PORT} and {@code ready}, then runs until
 * its standard input closes.
 *
 * <p>Arguments: socketDir dataDir vms
 */
public final class SimulatedFleetHost {
    private SimulatedFleetHost() {}

    public static void main(String[] args) throws Exception {
        Path socketDir = Path.of(args[0]);
        Path dataDir = Path.of(args[1]);
        int vms = Integer.parseInt(args[2]);
        List<VmSpec> specs = IntStream.range(0, vms).mapToObj(i -> "vm-" + i)
                .map(name -> ReferenceMachines.transcriptGuest(name, UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)),
                        NetOptions.defaults()))
                .toList();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.launch(dataDir);
                Simulator host = Simulator.start(socketDir, InstantSource.system(), specs)) {
            for (SimulatedVm vm : host.vms()) {
                vm.setTraffic(new QueueRef("blk0", 0), Traffic.steady(200));
                vm.setTraffic(new QueueRef("net0", 0), Traffic.steady(80));
                vm.setTraffic(new QueueRef("net0", 1), Traffic.steady(60));
            }
            System.out.println("bootstrap=" + broker.bootstrapServers());
            System.out.println("ready");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the benchmark closes our input, or dies
            }
        }
    }
}
