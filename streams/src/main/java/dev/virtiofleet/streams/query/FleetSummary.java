package dev.virtiofleet.streams.query;

import java.util.Map;
import java.util.TreeMap;

/**
 * Counts over the fleet (or the part of it one instance hosts; summaries add up).
 *
 * @param devicesByState devices per health state
 * @param firingAlerts firing alerts per {@code KIND/SEVERITY}
 * @param agents agents known by their heartbeats
 */
public record FleetSummary(Map<String, Long> devicesByState, Map<String, Long> firingAlerts, long agents) {

    public FleetSummary {
        devicesByState = Map.copyOf(devicesByState);
        firingAlerts = Map.copyOf(firingAlerts);
    }

    public FleetSummary plus(FleetSummary other) {
        return new FleetSummary(sum(devicesByState, other.devicesByState), sum(firingAlerts, other.firingAlerts), agents + other.agents);
    }

    private static Map<String, Long> sum(Map<String, Long> a, Map<String, Long> b) {
        Map<String, Long> total = new TreeMap<>(a);
        b.forEach((key, count) -> total.merge(key, count, Long::sum));
        return total;
    }
}
