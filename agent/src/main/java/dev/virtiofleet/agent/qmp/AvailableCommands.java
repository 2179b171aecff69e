package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.TreeSet;

/** The commands a monitor offers ({@code query-commands}), to tell whether it can be polled at all. */
public record AvailableCommands(Set<String> names) {

    public AvailableCommands {
        names = Set.copyOf(names);
    }

    /** Reads the {@code return} of {@code query-commands}: {@code [{"name": ...}, ...]}. */
    public static AvailableCommands fromQueryCommands(JsonNode reply) {
        Set<String> names = new TreeSet<>();
        reply.forEach(entry -> {
            if (entry.path("name").isTextual()) {
                names.add(entry.get("name").asText());
            }
        });
        return new AvailableCommands(names);
    }

    /** The x-query-virtio* commands this monitor lacks (all of them before QEMU 7.2). */
    public Set<String> missingVirtioQueries() {
        Set<String> missing = new TreeSet<>(ReadOnlyCommands.VIRTIO_QUERIES);
        missing.removeAll(names);
        return missing;
    }

    public boolean hasVirtioQueries() {
        return missingVirtioQueries().isEmpty();
    }
}
