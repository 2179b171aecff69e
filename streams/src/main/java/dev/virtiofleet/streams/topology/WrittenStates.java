package dev.virtiofleet.streams.topology;

import dev.virtiofleet.streams.detect.DeviceState;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The device states a {@link DeviceProcessor} last put into its store, for at most {@code limit}
 * devices: what the store would give back for those keys, without a RocksDB read and a decode per
 * sample. Only what the processor itself wrote may be held, and only while nothing else can change
 * the store; the processor forgets a key before every write or delete of it and empties this
 * whenever its task (re)starts or closes.
 *
 * <p>Once full it takes no new devices, rather than evicting the least recently used: every device
 * is sampled once per poll interval, in turn, and under that pattern eviction would drop each
 * state just before it is needed, while a fixed set keeps hitting. A device that leaves (a delete)
 * frees its place. Not thread-safe: one per processor.
 */
final class WrittenStates {
    private final int limit;
    private final Map<String, DeviceState> states = new HashMap<>();

    WrittenStates(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " is not positive");
        }
        this.limit = limit;
    }

    /** The state last written for {@code key}, if it is held. */
    Optional<DeviceState> get(String key) {
        return Optional.ofNullable(states.get(key));
    }

    /** {@code state} is what the store now holds for {@code key}; kept if the device has a place or one is free. */
    void wrote(String key, DeviceState state) {
        if (states.size() < limit || states.containsKey(key)) {
            states.put(key, state);
        }
    }

    void forget(String key) {
        states.remove(key);
    }

    void clear() {
        states.clear();
    }
}
