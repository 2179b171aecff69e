package dev.virtiofleet.sim.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.sim.device.DeviceHealth;
import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.device.VhostKind;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.workload.ManualClock;
import dev.virtiofleet.sim.workload.Traffic;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The direct sweep (model answers straight to Avro) produces, field for field, the samples of the
 * agent's contract path (the same commands as QMP JSON, read back with QapiReader, mapped with
 * QapiToAvro) for the same VM state: two identical VMs on one clock, one swept each way, round
 * after round while traffic runs and faults come and go. Only {@code pollDurationMicros}, a
 * measured time, is left out; with a manual clock even the event times agree. The serialized bytes
 * must agree too, since that is what reaches Kafka, and be what Avro's own encoder writes.
 */
class DirectSweepEquivalenceTest {
    private static final Instant START = Instant.parse("2026-11-25T10:00:00Z");
    private static final Duration ROUND = Duration.ofSeconds(7);
    private static final Serializer<VirtioSample> SERIALIZER = FleetSerdes.singleObject().sample().serializer();
    private static final BinaryMessageEncoder<VirtioSample> REFERENCE_ENCODER =
            new BinaryMessageEncoder<>(SpecificData.getForSchema(VirtioSample.getClassSchema()), VirtioSample.getClassSchema());

    /** What a case does to a VM before each round (index = round), the same to both VMs. */
    private record Case(String name, VmSpec spec, List<Consumer<SimulatedVm>> rounds) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // Every device type of a Linux guest: net, blk, rng, serial, balloon, input, scsi.
                new Case("transcript guest, busy", guest("busy", NetOptions.defaults(), 1, false), List.of(
                        busy(), nothing(), nothing(), nothing())),
                new Case("multi-queue net and blk, mrg_rxbuf off", guest("mq", NetOptions.mergedRxBuffersOff().withQueuePairs(4), 4, false),
                        List.of(vm -> {
                            vm.setTraffic(new QueueRef("blk0", 3), Traffic.steady(900));
                            vm.setTraffic(new QueueRef("net0", 6), Traffic.steady(300));
                            vm.setTraffic(new QueueRef("net0", 7), Traffic.steady(250));
                        }, nothing(), nothing())),
                // Kernel vhost-net: QEMU's own view frozen at vhost start, the control queue not run by vhost.
                new Case("vhost-net", guest("vhost-net", NetOptions.defaults().withVhost(VhostKind.KERNEL), 1, false), List.of(
                        busy(), fault(new Fault.VhostDesync("net0", "VIRTIO_NET_F_GUEST_TSO4")), nothing(),
                        recover(new Fault.VhostDesync("net0", "VIRTIO_NET_F_GUEST_TSO4")))),
                // vhost-user: queue status never sent (skipped as unsafe), elements and vhost status instead.
                new Case("vhost-user net and blk", guest("vhost-user", NetOptions.defaults().withQueuePairs(2).withVhost(VhostKind.USER), 2, true),
                        List.of(busy(), fault(new Fault.VhostRingStopped(new QueueRef("blk0", 1))), nothing(),
                                recover(new Fault.VhostRingStopped(new QueueRef("blk0", 1))))),
                // A packed ring acked: queue-element answers "Packed ring not supported" (asked on vhost-user queues).
                new Case("vhost-user blk with a packed-ring violation", guest("packed", NetOptions.defaults(), 1, true), List.of(
                        busy(), fault(new Fault.FeatureViolation("blk0", "VIRTIO_F_RING_PACKED")), nothing(),
                        recover(new Fault.FeatureViolation("blk0", "VIRTIO_F_RING_PACKED")))),
                new Case("queue faults", guest("faulty", NetOptions.defaults(), 1, false), List.of(
                        busy().andThen(fault(new Fault.BackendHang(new QueueRef("blk0", 0)))),
                        fault(new Fault.LostNotification(new QueueRef("scsi0", 2)))
                                .andThen(vm -> vm.setTraffic(new QueueRef("scsi0", 2), Traffic.steady(40))),
                        fault(new Fault.CompletionNotSignalled(new QueueRef("net0", 1))),
                        fault(new Fault.GuestPolling(new QueueRef("net0", 0))),
                        recover(new Fault.BackendHang(new QueueRef("blk0", 0)))
                                .andThen(recover(new Fault.LostNotification(new QueueRef("scsi0", 2)))),
                        nothing())),
                new Case("broken, needs-reset and failed devices", guest("broken", NetOptions.defaults(), 1, false), List.of(
                        busy().andThen(fault(new Fault.DeviceFailure("net0", DeviceHealth.BROKEN))),
                        fault(new Fault.DeviceFailure("rng0", DeviceHealth.NEEDS_RESET)),
                        fault(new Fault.DeviceFailure("bal0", DeviceHealth.FAILED)),
                        recover(new Fault.DeviceFailure("net0", DeviceHealth.BROKEN)))),
                new Case("negotiation faults", guest("negotiation", NetOptions.defaults(), 1, false), List.of(
                        fault(new Fault.FeatureNotNegotiated("blk0", "VIRTIO_F_VERSION_1")),
                        fault(new Fault.FeatureViolation("scsi0", "VIRTIO_F_RING_PACKED")),
                        recover(new Fault.FeatureNotNegotiated("blk0", "VIRTIO_F_VERSION_1")))),
                new Case("paused VM", guest("paused", NetOptions.defaults().withVhost(VhostKind.USER), 1, false), List.of(
                        busy(), fault(new Fault.VmPaused()), nothing(), recover(new Fault.VmPaused()), nothing())),
                new Case("hot unplug and plug", guest("hotplug", NetOptions.defaults(), 1, false), List.of(
                        busy(), fault(new Fault.HotUnplug(LinuxGuestDevices.serial("ser0"))), nothing(),
                        recover(new Fault.HotUnplug(LinuxGuestDevices.serial("ser0"))), nothing())),
                new Case("no virtio devices", new VmSpec("empty", uuid("empty"), List.of()), List.of(nothing(), nothing())),
                wrapping())
                .map(Arguments::of);
    }

    /**
     * Rates that take ring indices across the varint lengths (64 and 8192, where a zig-zag varint
     * grows a byte) and past 65535 back to 0, for long enough that the sequence number grows a byte too.
     */
    private static Case wrapping() {
        List<Consumer<SimulatedVm>> rounds = new ArrayList<>();
        rounds.add(vm -> Map.of(new QueueRef("blk0", 0), 9000.0, new QueueRef("net0", 1), 1200.0, new QueueRef("ser0", 5), 5.0)
                .forEach((queue, rate) -> vm.setTraffic(queue, Traffic.steady(rate))));
        while (rounds.size() < 12) {
            rounds.add(nothing());
        }
        return new Case("ring indices wrap, numbers change length", guest("wrap", NetOptions.defaults(), 1, false), rounds);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void directSweepEqualsTheQmpContractPath(Case c) {
        List<VirtioSample> all = compare(c);
        if (!c.spec().devices().isEmpty()) {
            assertFalse(all.isEmpty(), "the case produced samples");
        }
    }

    /** The cases above really reach the error and state paths the equivalence is meant to cover. */
    @Test
    void theCasesCoverEveryKindOfAnswer() {
        List<VirtioSample> all = cases().map(a -> (Case) a.get()[0]).flatMap(c -> compare(c).stream()).toList();
        Set<String> deviceNames = new TreeSet<>();
        Set<String> errors = new TreeSet<>();
        all.forEach(s -> {
            deviceNames.add(s.getDeviceName());
            s.getErrors().forEach(e -> errors.add(e.getKind() + " " + e.getCommand() + ": " + e.getDescription()));
        });
        assertEquals(Set.of("virtio-net", "virtio-blk", "virtio-rng", "virtio-serial", "virtio-balloon", "virtio-input",
                "virtio-scsi"), deviceNames);
        assertTrue(errors.stream().anyMatch(e -> e.startsWith("SKIPPED_UNSAFE x-query-virtio-queue-status")), errors::toString);
        assertTrue(errors.stream().anyMatch(e -> e.startsWith("INVALID_QUEUE x-query-virtio-vhost-queue-status: Invalid vhost virtqueue number")),
                errors::toString);
        assertTrue(errors.stream().anyMatch(e -> e.startsWith("PACKED_RING_NOT_SUPPORTED x-query-virtio-queue-element: Packed ring not supported")),
                errors::toString);
        assertTrue(all.stream().anyMatch(s -> "paused".equals(s.getVmRunState()) && !s.getVmRunning()
                && !s.getStatus().getVmRunning()), "a paused VM was swept");
        assertTrue(all.stream().anyMatch(s -> s.getStatus() != null && s.getStatus().getBroken()), "a broken device");
        assertTrue(all.stream().anyMatch(s -> s.getStatus() != null && s.getStatus().getStatus().getStatuses().contains("VIRTIO_CONFIG_S_FAILED")),
                "a failed device");
        assertTrue(all.stream().anyMatch(s -> s.getStatus() != null && s.getStatus().getVhostDev() != null
                && s.getStatus().getVhostDev().getProtocolFeatures().getProtocols().isEmpty()), "kernel vhost");
        assertTrue(all.stream().flatMap(s -> s.getQueues().stream()).anyMatch(q -> q.getStatus() != null
                && q.getStatus().getLastAvailIdx() == null), "a queue QEMU runs beside vhost: no last-avail-idx");
        assertTrue(all.stream().flatMap(s -> s.getQueues().stream()).anyMatch(q -> q.getElement() != null
                && q.getVhostStatus() != null), "a vhost-user queue followed by element and vhost status");
    }

    /** The wrapping case does what it says: the incremental encoding stayed Avro's through it. */
    @Test
    void ringIndicesWrapAndNumbersChangeLength() {
        List<VirtioSample> all = compare(wrapping());
        Map<String, Integer> lastUsed = new HashMap<>();
        Set<String> seen = new TreeSet<>();
        for (VirtioSample sample : all) {
            if (sample.getAgentSequence() >= 64) {
                seen.add("a two-byte sequence number");
            }
            for (var queue : sample.getQueues()) {
                if (queue.getStatus() == null) {
                    continue;
                }
                int used = queue.getStatus().getUsedIdx();
                Integer before = lastUsed.put(sample.getDevicePath() + "#" + queue.getQueueIndex(), used);
                if (before != null && used < before) {
                    seen.add("a wrap past 65535");
                }
                if (before != null && before < 64 && used >= 64 && used < 8192) {
                    seen.add("an index from one to two bytes");
                }
                if (before != null && before < 8192 && used >= 8192) {
                    seen.add("an index to three bytes");
                }
            }
        }
        assertEquals(Set.of("a two-byte sequence number", "a wrap past 65535", "an index from one to two bytes",
                "an index to three bytes"), seen);
    }

    /** Sweeps twin VMs each way, round by round, and checks every sample agrees; returns the samples. */
    private static List<VirtioSample> compare(Case c) {
        ManualClock clock = new ManualClock(START);
        SimulatedVm overQmp = new SimulatedVm(c.spec(), clock);
        SimulatedVm direct = new SimulatedVm(c.spec(), clock);
        InProcessSweep reference = InProcessSweep.overQmp(overQmp, QemuVersion.DEBIAN_7_2, clock);
        InProcessSweep fast = InProcessSweep.direct(direct, QemuVersion.DEBIAN_7_2, clock);
        HostRun referenceRun = new HostRun("hv-eq", "run-eq");
        HostRun fastRun = new HostRun("hv-eq", "run-eq");
        SampleEncoder encoder = new SampleEncoder();
        Map<String, SampleEncoder.Device> devices = new HashMap<>();
        List<VirtioSample> samples = new ArrayList<>();
        for (int round = 0; round < c.rounds().size(); round++) {
            c.rounds().get(round).accept(overQmp);
            c.rounds().get(round).accept(direct);
            List<VirtioSample> expected = reference.sweep(referenceRun);
            List<VirtioSample> actual = fast.sweep(fastRun);
            String where = c.name() + ", round " + round;
            assertEquals(expected.size(), actual.size(), where + ": samples per sweep");
            for (int i = 0; i < expected.size(); i++) {
                String device = where + ", " + expected.get(i).getDevicePath();
                // The direct load's own encoding of the sample as swept (timing and all): the serde's bytes.
                SampleEncoder.Device state = devices.computeIfAbsent(actual.get(i).getDevicePath(), p -> new SampleEncoder.Device());
                assertTrue(Arrays.equals(SERIALIZER.serialize("t", actual.get(i)), encoder.encode(actual.get(i), state)),
                        device + ": the direct load's incremental encoding");
                assertEquals(DirectKafkaLoad.keyOf(actual.get(i)), new String(state.key(actual.get(i)), StandardCharsets.UTF_8),
                        device + ": the direct load's key");
                VirtioSample want = withoutTiming(expected.get(i));
                VirtioSample got = withoutTiming(actual.get(i));
                // Text first, so that a difference shows as a readable diff.
                assertEquals(want.toString(), got.toString(), device);
                assertEquals(want, got, device);
                byte[] bytes = SERIALIZER.serialize("t", got);
                assertTrue(Arrays.equals(SERIALIZER.serialize("t", want), bytes), device + ": bytes");
                assertTrue(Arrays.equals(avroReference(got), bytes), device + ": Avro's own single-object bytes");
                assertEquals(DirectKafkaLoad.keyOf(want), DirectKafkaLoad.keyOf(got), device + ": key");
                samples.add(got);
            }
            clock.advance(ROUND);
        }
        return samples;
    }

    private static byte[] avroReference(VirtioSample sample) {
        ByteBuffer encoded;
        try {
            encoded = REFERENCE_ENCODER.encode(sample);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = new byte[encoded.remaining()];
        encoded.get(bytes);
        return bytes;
    }

    private static VirtioSample withoutTiming(VirtioSample sample) {
        return VirtioSample.newBuilder(sample).setPollDurationMicros(0).build();
    }

    private static VmSpec guest(String name, NetOptions net, int blkQueues, boolean vhostUserBlk) {
        return ReferenceMachines.transcriptGuest(name, uuid(name), net, blkQueues, vhostUserBlk);
    }

    private static UUID uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }

    private static Consumer<SimulatedVm> nothing() {
        return vm -> {};
    }

    /** Traffic on a request queue and a receive queue of each kind of device that has one. */
    private static Consumer<SimulatedVm> busy() {
        return vm -> Map.of(new QueueRef("blk0", 0), 200.0, new QueueRef("net0", 0), 120.0, new QueueRef("net0", 1), 80.0,
                new QueueRef("scsi0", 2), 30.0, new QueueRef("rng0", 0), 1.0, new QueueRef("ser0", 3), 2.0)
                .forEach((queue, rate) -> vm.setTraffic(queue, Traffic.steady(rate)));
    }

    private static Consumer<SimulatedVm> fault(Fault fault) {
        return fault::inject;
    }

    private static Consumer<SimulatedVm> recover(Fault fault) {
        return fault::recover;
    }
}
