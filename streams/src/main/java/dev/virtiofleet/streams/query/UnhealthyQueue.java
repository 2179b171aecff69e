package dev.virtiofleet.streams.query;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One queue of a device that is not healthy, as its latest sample left it.
 *
 * @param usedIdx latest used-idx (mod 65536)
 * @param inuse buffers the device holds
 * @param sinceProgress from the last time used-idx moved to the latest sample; empty when it was never seen to move
 */
public record UnhealthyQueue(String hostId, String vm, String devicePath, int queue, OptionalInt usedIdx, OptionalLong inuse,
        Optional<Duration> sinceProgress) {}
