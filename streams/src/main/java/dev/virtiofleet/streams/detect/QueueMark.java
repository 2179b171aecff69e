package dev.virtiofleet.streams.detect;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What is remembered of one queue between samples.
 *
 * @param ringLayout ring addresses of the latest sample, to notice a queue set up again
 * @param usedIdx latest used-idx
 * @param inuse latest inuse: buffers the device holds
 * @param lastProgress event time used-idx was last seen to move
 */
public record QueueMark(OptionalLong ringLayout, OptionalInt usedIdx, OptionalLong inuse, Optional<Instant> lastProgress) {}
