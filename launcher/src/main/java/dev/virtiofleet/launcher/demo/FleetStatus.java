package dev.virtiofleet.launcher.demo;

import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.HealthState;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** The fleet at a glance, kept from the health table and the sample stream. Single-threaded. */
final class FleetStatus {
    private final Map<String, HealthState> devices = new HashMap<>();
    private final Map<String, String> firing = new HashMap<>();
    private long samplesSinceLastLine;
    private long lastLineNanos;

    void health(String key, DeviceHealth health) {
        if (health == null) {
            devices.remove(key);
        } else {
            devices.put(key, health.getState());
        }
    }

    void alert(String alertId, boolean isFiring, String kind) {
        if (isFiring) {
            firing.put(alertId, kind);
        } else {
            firing.remove(alertId);
        }
    }

    void samples(int count) {
        samplesSinceLastLine += count;
    }

    /** One status line; the sample rate covers the time since the previous line. */
    String line(long nowNanos) {
        double seconds = lastLineNanos == 0 ? 0 : (nowNanos - lastLineNanos) / 1e9;
        double rate = seconds > 0 ? samplesSinceLastLine / seconds : 0;
        samplesSinceLastLine = 0;
        lastLineNanos = nowNanos;
        Map<HealthState, Integer> byState = new EnumMap<>(HealthState.class);
        devices.values().forEach(state -> byState.merge(state, 1, Integer::sum));
        StringBuilder states = new StringBuilder();
        for (HealthState state : HealthState.values()) {
            int count = byState.getOrDefault(state, 0);
            if (count > 0) {
                states.append(states.isEmpty() ? "" : ", ").append(count).append(' ').append(state.name().toLowerCase(Locale.ROOT));
            }
        }
        return String.format(Locale.ROOT, "fleet: %d devices (%s) | samples %.1f/s | alerts firing %d",
                devices.size(), states.isEmpty() ? "none yet" : states, rate, firing.size());
    }
}
