package dev.virtiofleet.sim.load;

import java.util.Optional;

/**
 * What the direct load published so far.
 *
 * @param sent samples handed to the producer
 * @param acknowledged samples the broker acknowledged
 * @param failed samples the producer gave up on
 * @param lastFailure why the latest of those failed
 */
public record LoadStats(long sent, long acknowledged, long failed, Optional<String> lastFailure) {}
