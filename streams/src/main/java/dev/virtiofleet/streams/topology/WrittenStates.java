package dev.virtiofleet.streams.topology;

import dev.virtiofleet.streams.detect.DeviceState;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The device states a {@link DeviceProcessor} last put into its store, for the devices it saw most
 * recently, at most {@code limit} of them: what the store would give back for those keys, without
 * a RocksDB read and a decode per sample. Only what the processor itself wrote may be held, and only
 * while nothing else can change the store; the processor forgets a key before every write or delete
 * of it and empties this whenever its task (re)starts or closes. Not thread-safe: one per processor.
 */
final class WrittenStates {
    private final Map<String, DeviceState> states;

    WrittenStates(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " is not positive");
        }
        // In access order, so that the device sampled longest ago goes first.
        this.states = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, DeviceState> eldest) {
                return size() > limit;
            }
        };
    }

    /** The state last written for {@code key}, if it is still held. */
    Optional<DeviceState> get(String key) {
        return Optional.ofNullable(states.get(key));
    }

    /** {@code state} is what the store now holds for {@code key}. */
    void wrote(String key, DeviceState state) {
        states.put(key, state);
    }

    void forget(String key) {
        states.remove(key);
    }

    void clear() {
        states.clear();
    }
}
