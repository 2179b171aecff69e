package dev.virtiofleet.agent.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.poll.SweepOutcome;
import dev.virtiofleet.agent.poll.SweepPolicy;
import dev.virtiofleet.agent.poll.VmPoller;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.testing.RealQemu;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.AvroSerde;
import dev.virtiofleet.serde.FleetSerdes;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent against a real QEMU, without a guest: the machine is created paused with the device
 * set of the transcripts, so every virtio device exists but no driver has touched it. (A booted
 * guest polled by the agent: launcher's RealQemuEndToEndTest.)
 */
class RealQemuPrelaunchTest {
    private static final String UUID = "6a1e9c3d-2b7f-4e58-9d0a-3c5b7e1f2a64";

    private RealQemu qemu;

    @BeforeEach
    void startQemu() throws Exception {
        Optional<Path> binary = RealQemu.binary();
        if (binary.isEmpty()) {
            System.out.println("RealQemuPrelaunchTest skipped: qemu-system-x86_64 is not installed (Debian: qemu-system-x86)");
        }
        Assumptions.assumeTrue(binary.isPresent(), "qemu-system-x86_64 is not installed");
        qemu = RealQemu.startPaused(binary.get(), "conformance-guest", UUID);
    }

    @AfterEach
    void stopQemu() throws Exception {
        if (qemu != null) {
            qemu.close();
        }
    }

    @Test
    void everyDeviceAndQueueOfARealQemuArrivesAsAValidAvroSample() throws Exception {
        AgentRun run = new AgentRun("hv-conformance", "run-conformance");
        AvroSerde<VirtioSample> serde = FleetSerdes.singleObject().sample();
        try (VmPoller poller = VmPoller.connect(qemu.endpoint(), QmpClientConfig.defaults(), run, SweepPolicy.FULL,
                Clock.systemUTC())) {
            assertEquals(Optional.of("conformance-guest"), poller.identity().name());
            assertEquals(Optional.of(UUID), poller.identity().uuid());
            assertTrue(poller.availableCommands().orElseThrow().hasVirtioQueries(), "QEMU 7.2+ offers every x-query-virtio command");
            for (int sweep = 0; sweep < 2; sweep++) {
                List<VirtioSample> samples = assertInstanceOf(SweepOutcome.Completed.class, poller.sweep()).samples();
                assertEquals(RealQemu.DEVICE_IDS.stream().map(id -> "/machine/peripheral/" + id + "/virtio-backend").sorted().toList(),
                        samples.stream().map(VirtioSample::getDevicePath).sorted().toList());
                for (VirtioSample sample : samples) {
                    assertNotNull(sample.getStatus(), sample.getDevicePath() + " " + sample.getErrors());
                    assertEquals(sample.getStatus().getNumVqs(), (long) sample.getQueues().size(), sample.getDevicePath());
                    sample.getQueues().forEach(q -> assertNotNull(q.getStatus(), sample.getDevicePath() + " queue " + q.getQueueIndex()));
                    assertEquals(List.of(), sample.getErrors(), sample.getDevicePath());
                    assertEquals("prelaunch", sample.getVmRunState());
                    assertEquals(false, sample.getVmRunning());
                    assertEquals(poller.greeting().version().major(), sample.getQemuVersion().getMajor());
                    assertEquals(poller.greeting().version().minor(), sample.getQemuVersion().getMinor());
                    byte[] bytes = serde.serializer().serialize("virtio.samples", sample);
                    assertEquals(sample, serde.deserializer().deserialize("virtio.samples", bytes));
                }
            }
        }
    }
}
