package dev.virtiofleet.agent.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.VirtioSample;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * How evenly VMs were swept, read from their samples' event times, for tests that prove one hung
 * VM holds no other back. The test is about what separates the two possible designs, not about
 * how fast this machine is: a VM that waited behind a hung one would wait out the hung monitor's
 * command deadline between two of its own sweeps, so some gap of at least one deadline would
 * show. A VM polled independently sweeps every interval, or as fast as a loaded machine lets it,
 * far below a deadline. Load makes the gaps longer, never as long as a deadline, unless the
 * machine stalls for seconds.
 */
public final class SweepGaps {
    /** The longest time one device of one VM went without a sample, and when it began. */
    public record Gap(String device, Instant after, Duration length) {
        @Override
        public String toString() {
            return length + " on " + device + " after " + after;
        }
    }

    private SweepGaps() {}

    /**
     * Asserts that every VM in {@code vmNames} was sampled at or before {@code from}, and that from
     * its last sample before {@code from} on, no two successive samples of any of its devices, nor
     * its last sample and {@code to}, lie {@code bound} or more apart. With {@code to - from} at least {@code bound}, each VM was sampled
     * all along a span in which the hung VM spent at least one whole deadline.
     *
     * @return the longest gap seen, for the test's report
     */
    public static Gap assertNoGap(Collection<VirtioSample> samples, Set<String> vmNames, Instant from, Instant to,
            Duration bound) {
        assertTrue(!Duration.between(from, to).minus(bound).isNegative(),
                "the span " + from + ".." + to + " must cover at least " + bound + " to prove anything");
        Map<String, List<VirtioSample>> byDevice = samples.stream()
                .filter(s -> vmNames.contains(s.getVmName()))
                .collect(Collectors.groupingBy(s -> s.getVmName() + " " + s.getDevicePath(), TreeMap::new, Collectors.toList()));
        Set<String> sampledVms = byDevice.values().stream().map(list -> list.getFirst().getVmName()).collect(Collectors.toSet());
        assertTrue(sampledVms.containsAll(vmNames), "VMs without samples: " + vmNames.stream()
                .filter(name -> !sampledVms.contains(name)).sorted().toList());
        Gap longest = new Gap("none", from, Duration.ZERO);
        for (Map.Entry<String, List<VirtioSample>> device : byDevice.entrySet()) {
            List<Instant> times = new ArrayList<>(device.getValue().stream()
                    .sorted(Comparator.comparingLong(VirtioSample::getAgentSequence))
                    .map(VirtioSample::getEventTime)
                    .filter(t -> !t.isAfter(to))
                    .toList());
            assertTrue(!times.isEmpty() && !times.getFirst().isAfter(from),
                    device.getKey() + ": first sample " + (times.isEmpty() ? "none" : times.getFirst()) + " is after " + from);
            // Start at the last sample before the span: gaps while the fleet was still connecting do not count.
            int start = 0;
            while (start + 1 < times.size() && !times.get(start + 1).isAfter(from)) {
                start++;
            }
            times = new ArrayList<>(times.subList(start, times.size()));
            times.add(to);
            for (int i = 1; i < times.size(); i++) {
                Duration gap = Duration.between(times.get(i - 1), times.get(i));
                assertTrue(gap.compareTo(bound) < 0, device.getKey() + ": " + gap + " without a sample, from " + times.get(i - 1)
                        + " (bound " + bound + ", the hung monitor's deadline)");
                longest = gap.compareTo(longest.length()) > 0 ? new Gap(device.getKey(), times.get(i - 1), gap) : longest;
            }
        }
        return longest;
    }
}
