package dev.virtiofleet.streams.detect;

import java.time.Instant;

/**
 * What the health topic last heard of a device: a digest of the health record's content (see
 * {@code HealthBuilder.digest}) and the event time of the sample it was made from. Kept in the
 * device store, so that a restarted or rebalanced instance neither repeats nor skips a record.
 *
 * @param digest digest of the published record's content
 * @param at event time of the sample the published record was made from
 */
public record PublishedHealth(long digest, Instant at) {}
