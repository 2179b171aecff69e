package dev.virtiofleet.streams.config;

import dev.virtiofleet.avro.Severity;
import java.time.Duration;
import java.util.Map;

/**
 * How one rule turns conditions into alerts.
 *
 * @param enabled whether the rule is evaluated at all
 * @param fireAfter how long the condition must hold before FIRING: for queue-progress rules this
 *     counts only time the VM was running, for device rules event time between samples (0 fires on
 *     the first sample showing it)
 * @param fireAfterByDevice overrides of {@code fireAfter} by device model name (e.g. a slower
 *     virtio-serial port reader)
 * @param resolveAfter hold-down: how long the condition must stay absent before RESOLVED; if it
 *     returns earlier the episode simply continues, so a flapping condition yields one episode
 * @param severity severity of the alert
 */
public record RuleSettings(
        boolean enabled,
        Duration fireAfter,
        Map<String, Duration> fireAfterByDevice,
        Duration resolveAfter,
        Severity severity) {

    public RuleSettings {
        fireAfterByDevice = Map.copyOf(fireAfterByDevice);
    }

    public Duration fireAfter(String deviceName) {
        return fireAfterByDevice.getOrDefault(deviceName, fireAfter);
    }
}
