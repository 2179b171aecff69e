package dev.virtiofleet.streams.query;

import dev.virtiofleet.streams.agents.AgentLiveness;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.drift.Member;
import dev.virtiofleet.streams.drift.Tally;
import dev.virtiofleet.streams.topology.DetectionTopology;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The state stores of this instance, read-only: whatever partitions it hosts. A running
 * application reaches them through Kafka Streams interactive queries; tests through the
 * TopologyTestDriver.
 */
public final class FleetStores {

    /** Finds a local store by name. */
    @FunctionalInterface
    public interface Lookup {
        <V> ReadOnlyKeyValueStore<String, V> store(String name);
    }

    private final Lookup lookup;

    public FleetStores(Lookup lookup) {
        this.lookup = lookup;
    }

    public void forEachDevice(Consumer<DeviceState> action) {
        forEach(DetectionTopology.DEVICE_STORE, (String key, DeviceState state) -> action.accept(state));
    }

    /** Drift members with their group key (members are stored under {@code groupKey NUL deviceKey}). */
    public void forEachDriftMember(BiConsumer<String, Member> action) {
        forEach(DetectionTopology.DRIFT_MEMBER_STORE, (String key, Member member) -> action.accept(key.substring(0, key.indexOf('\u0000')), member));
    }

    public void forEachDriftTally(BiConsumer<String, Tally> action) {
        forEach(DetectionTopology.DRIFT_TALLY_STORE, action);
    }

    public void forEachAgent(Consumer<AgentLiveness> action) {
        forEach(DetectionTopology.LIVENESS_STORE, (String key, AgentLiveness agent) -> action.accept(agent));
    }

    private <V> void forEach(String storeName, BiConsumer<String, V> action) {
        ReadOnlyKeyValueStore<String, V> store = lookup.store(storeName);
        try (KeyValueIterator<String, V> all = store.all()) {
            all.forEachRemaining(entry -> action.accept(entry.key, entry.value));
        }
    }
}
