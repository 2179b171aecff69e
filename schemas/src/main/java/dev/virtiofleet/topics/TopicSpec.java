package dev.virtiofleet.topics;

import java.util.Map;

/**
 * One topic as virtio-fleet needs it: name, partitions and the topic configs that matter
 * (cleanup policy, retention). Replication is the cluster's business and given at apply time.
 */
public record TopicSpec(String name, int partitions, Map<String, String> configs, String purpose) {

    public TopicSpec {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("topic name must not be blank");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("topic " + name + ": partitions = " + partitions + ", must be at least 1");
        }
        configs = Map.copyOf(configs);
    }

    public TopicSpec withPartitions(int count) {
        return new TopicSpec(name, count, configs, purpose);
    }
}
