package dev.virtiofleet.topics;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * How samples are produced to {@code virtio.samples}: by the agent, and by whatever stands in for
 * it (the simulator's direct-to-Kafka load, benchmarks), so that load tests measure what the
 * agent really does. Idempotent with acks from all in-sync replicas (no sample lost or doubled by
 * a retry), zstd (samples compress about 2:1), batched.
 */
public final class SampleProducerSettings {
    private SampleProducerSettings() {}

    /** The settings, without bootstrap servers; a caller adds those and its own timeouts. */
    public static Map<String, Object> common() {
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "zstd");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 50);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        return props;
    }
}
