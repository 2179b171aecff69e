package dev.virtiofleet.streams.alerts;

import dev.virtiofleet.avro.AlertKind;
import java.util.Comparator;
import java.util.OptionalInt;

/** One alert slot of a device: a kind, for one queue or for the whole device. */
public record AlertKey(AlertKind kind, OptionalInt queue) implements Comparable<AlertKey> {
    private static final Comparator<AlertKey> ORDER = Comparator
            .comparing(AlertKey::kind)
            .thenComparingInt(key -> key.queue().orElse(-1));

    public static AlertKey device(AlertKind kind) {
        return new AlertKey(kind, OptionalInt.empty());
    }

    public static AlertKey queue(AlertKind kind, int queue) {
        return new AlertKey(kind, OptionalInt.of(queue));
    }

    @Override
    public int compareTo(AlertKey other) {
        return ORDER.compare(this, other);
    }
}
