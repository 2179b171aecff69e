package dev.virtiofleet.streams.alerts;

import dev.virtiofleet.avro.AlertKind;
import java.util.Comparator;
import java.util.OptionalInt;

/** One alert slot of a device: a kind, for one queue or for the whole device. */
public record AlertKey(AlertKind kind, OptionalInt queue) implements Comparable<AlertKey> {
    private static final Comparator<AlertKey> ORDER = Comparator
            .comparing(AlertKey::kind)
            .thenComparingInt(key -> key.queue().orElse(-1));

    /** Keys of the first queues, made once: detection asks for one per rule and queue of every sample. */
    private static final int CACHED_QUEUES = 256;
    private static final AlertKey[][] QUEUE_KEYS = new AlertKey[AlertKind.values().length][CACHED_QUEUES];
    private static final AlertKey[] DEVICE_KEYS = new AlertKey[AlertKind.values().length];

    static {
        for (AlertKind kind : AlertKind.values()) {
            DEVICE_KEYS[kind.ordinal()] = new AlertKey(kind, OptionalInt.empty());
            for (int queue = 0; queue < CACHED_QUEUES; queue++) {
                QUEUE_KEYS[kind.ordinal()][queue] = new AlertKey(kind, OptionalInt.of(queue));
            }
        }
    }

    public static AlertKey device(AlertKind kind) {
        return DEVICE_KEYS[kind.ordinal()];
    }

    public static AlertKey queue(AlertKind kind, int queue) {
        return queue >= 0 && queue < CACHED_QUEUES ? QUEUE_KEYS[kind.ordinal()][queue] : new AlertKey(kind, OptionalInt.of(queue));
    }

    @Override
    public int compareTo(AlertKey other) {
        return ORDER.compare(this, other);
    }
}
