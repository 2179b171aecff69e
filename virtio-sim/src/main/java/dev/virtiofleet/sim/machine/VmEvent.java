package dev.virtiofleet.sim.machine;

import java.time.Instant;
import java.util.Map;

/**
 * An asynchronous QMP event the VM raises, e.g. {@code STOP}, {@code RESUME}, {@code DEVICE_DELETED}.
 *
 * @param name QMP event name
 * @param data the event's {@code data} members (strings only in the events we raise); empty for none
 * @param timestamp when it happened, by the VM's clock
 */
public record VmEvent(String name, Map<String, String> data, Instant timestamp) {
    public VmEvent {
        data = Map.copyOf(data);
    }
}
