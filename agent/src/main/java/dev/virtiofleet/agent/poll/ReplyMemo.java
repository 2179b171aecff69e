package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.RawJson;
import dev.virtiofleet.qapi.QapiDecodeException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The last reply to one kind of command per subject (a device, the VM) and what it decoded to.
 * Between two sweeps a device's status and the device list rarely change by a byte; a reply equal
 * to the last one decodes to the same value, so it is not parsed, bound and mapped again. Not
 * thread-safe: one poller's sweeps use it one at a time.
 */
final class ReplyMemo<K, T> {
    private final Map<K, Decoded<T>> last = new HashMap<>();

    /** Turns a reply's JSON into the value kept. */
    @FunctionalInterface
    interface Decoder<T> {
        T decode(RawJson reply) throws QapiDecodeException;
    }

    private record Decoded<T>(RawJson reply, T value) {}

    T decode(K subject, RawJson reply, Decoder<T> decoder) throws QapiDecodeException {
        Decoded<T> previous = last.get(subject);
        if (previous != null && previous.reply().sameBytes(reply)) {
            return previous.value();
        }
        T value = decoder.decode(reply);
        last.put(subject, new Decoded<>(reply, value));
        return value;
    }

    /** The subjects remembered, those of the last sweep: a read-only view, valid until the memo next changes. */
    Set<K> subjects() {
        return Collections.unmodifiableSet(last.keySet());
    }

    /** Forgets subjects that are gone (an unplugged device), so the memo never outgrows the VM. */
    void retainOnly(Set<K> subjects) {
        last.keySet().retainAll(subjects);
    }
}
