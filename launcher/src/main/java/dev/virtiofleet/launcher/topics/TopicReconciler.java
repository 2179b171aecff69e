package dev.virtiofleet.launcher.topics;

import dev.virtiofleet.topics.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Brings a cluster's topics in line with their specs: creates missing ones and corrects topic
 * configs. It never changes a partition count: more partitions would move devices to other
 * partitions and break the per-device order the streams application relies on, so that is
 * reported for an operator to decide.
 */
public final class TopicReconciler {
    private static final Duration CONFIG_PROPAGATION = Duration.ofSeconds(15);

    private final Admin admin;

    public TopicReconciler(Admin admin) {
        this.admin = admin;
    }

    public List<TopicDifference> apply(Collection<TopicSpec> specs, short replicationFactor, boolean dryRun)
            throws ExecutionException, InterruptedException {
        Set<String> existing = admin.listTopics().names().get();
        List<TopicDifference> results = new ArrayList<>();
        List<NewTopic> toCreate = new ArrayList<>();
        for (TopicSpec spec : specs) {
            if (!existing.contains(spec.name())) {
                toCreate.add(new NewTopic(spec.name(), spec.partitions(), replicationFactor).configs(spec.configs()));
                results.add(new TopicDifference(spec, TopicDifference.State.CREATED,
                        spec.partitions() + " partitions, replication " + replicationFactor));
            } else {
                results.add(reconcileExisting(spec, dryRun));
            }
        }
        if (!dryRun && !toCreate.isEmpty()) {
            admin.createTopics(toCreate).all().get();
        }
        return results;
    }

    public List<TopicDifference> verify(Collection<TopicSpec> specs) throws ExecutionException, InterruptedException {
        Set<String> existing = admin.listTopics().names().get();
        List<TopicDifference> results = new ArrayList<>();
        for (TopicSpec spec : specs) {
            if (!existing.contains(spec.name())) {
                results.add(new TopicDifference(spec, TopicDifference.State.DIFFERS, "missing"));
                continue;
            }
            List<String> problems = new ArrayList<>();
            int partitions = partitions(spec);
            if (partitions != spec.partitions()) {
                problems.add("partitions " + partitions + " (spec " + spec.partitions() + ")");
            }
            Map<String, String> differing = differingConfigs(spec);
            if (!differing.isEmpty()) {
                problems.add("configs should be " + TopicDifference.describeConfigs(differing));
            }
            results.add(problems.isEmpty()
                    ? new TopicDifference(spec, TopicDifference.State.OK, "")
                    : new TopicDifference(spec, TopicDifference.State.DIFFERS, String.join("; ", problems)));
        }
        return results;
    }

    private TopicDifference reconcileExisting(TopicSpec spec, boolean dryRun) throws ExecutionException, InterruptedException {
        Map<String, String> differing = differingConfigs(spec);
        if (!differing.isEmpty() && !dryRun) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
            List<AlterConfigOp> ops = differing.entrySet().stream()
                    .map(e -> new AlterConfigOp(new ConfigEntry(e.getKey(), e.getValue()), AlterConfigOp.OpType.SET))
                    .toList();
            admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get();
            awaitConfigs(spec);
        }
        int partitions = partitions(spec);
        if (partitions != spec.partitions()) {
            return new TopicDifference(spec, TopicDifference.State.NEEDS_ATTENTION, "has " + partitions
                    + " partitions, spec says " + spec.partitions() + "; not changed (it would move devices between partitions)"
                    + (differing.isEmpty() ? "" : "; configs " + TopicDifference.describeConfigs(differing)));
        }
        return differing.isEmpty()
                ? new TopicDifference(spec, TopicDifference.State.OK, "")
                : new TopicDifference(spec, TopicDifference.State.CONFIGS_UPDATED, TopicDifference.describeConfigs(differing));
    }

    /** Config changes reach the broker through the controller a moment later; wait for them. */
    private void awaitConfigs(TopicSpec spec) throws ExecutionException, InterruptedException {
        long deadline = System.nanoTime() + CONFIG_PROPAGATION.toNanos();
        while (!differingConfigs(spec).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + spec.name() + ": altered configs did not take effect within " + CONFIG_PROPAGATION);
            }
            Thread.sleep(100);
        }
    }

    private int partitions(TopicSpec spec) throws ExecutionException, InterruptedException {
        TopicDescription description = admin.describeTopics(List.of(spec.name())).allTopicNames().get().get(spec.name());
        return description.partitions().size();
    }

    private Map<String, String> differingConfigs(TopicSpec spec) throws ExecutionException, InterruptedException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, spec.name());
        Config actual = admin.describeConfigs(List.of(resource)).all().get().get(resource);
        Map<String, String> differing = new TreeMap<>();
        spec.configs().forEach((key, wanted) -> {
            ConfigEntry entry = actual.get(key);
            if (entry == null || !wanted.equals(entry.value())) {
                differing.put(key, wanted);
            }
        });
        return differing;
    }
}
