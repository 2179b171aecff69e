package dev.virtiofleet.agent.publish;

import java.util.Map;

/**
 * What the publisher holds and has lost, for heartbeats and metrics.
 *
 * @param delivered samples the cluster acknowledged since start
 * @param buffered samples in memory (queued or awaiting acknowledgement)
 * @param spooled samples waiting on disk
 * @param spoolBytes bytes of the disk spool
 * @param dropped samples dropped by design, by reason (spool-full, rejected-by-kafka, ...)
 */
public record PublisherStats(long delivered, long buffered, long spooled, long spoolBytes, Map<String, Long> dropped) {

    public PublisherStats {
        dropped = Map.copyOf(dropped);
    }
}
