package dev.virtiofleet.launcher.e2e;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.AlertSubject;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** Reading alert records as episodes: one alert id, its transitions in the order they were committed. */
final class Episodes {
    private Episodes() {}

    /** The transitions of each alert id, ids in order of first appearance. */
    static Map<String, List<VirtioAlert>> byId(List<VirtioAlert> alerts) {
        Map<String, List<VirtioAlert>> episodes = new LinkedHashMap<>();
        alerts.forEach(alert -> episodes.computeIfAbsent(alert.getAlertId(), id -> new ArrayList<>()).add(alert));
        return episodes;
    }

    /** Every id whose transitions are not exactly one FIRING followed by one RESOLVED, with what it had. */
    static List<String> notOneFiringOneResolved(List<VirtioAlert> alerts) {
        List<String> problems = new ArrayList<>();
        byId(alerts).forEach((id, transitions) -> {
            List<AlertState> states = transitions.stream().map(VirtioAlert::getState).toList();
            if (!states.equals(List.of(AlertState.FIRING, AlertState.RESOLVED))) {
                problems.add(id + " has " + states);
            }
        });
        return problems;
    }

    /** Whether every id that fired has also resolved. */
    static boolean allResolved(List<VirtioAlert> alerts) {
        return byId(alerts).values().stream().allMatch(t -> t.stream().anyMatch(a -> a.getState() == AlertState.RESOLVED));
    }

    /** The alerts of one kind about one host/VM/device/queue (null device or queue: not part of the subject). */
    static List<VirtioAlert> about(List<VirtioAlert> alerts, AlertKind kind, String host, String vm, String deviceId, Integer queue) {
        return alerts.stream().filter(a -> a.getKind() == kind && matches(a.getSubject(), host, vm, deviceId, queue)).toList();
    }

    static boolean matches(AlertSubject subject, String host, String vm, String deviceId, Integer queue) {
        return subject.getHostId().equals(host)
                && Objects.equals(subject.getVmName(), vm)
                && Objects.equals(subject.getDevicePath(), deviceId == null ? null : devicePath(deviceId))
                && Objects.equals(subject.getQueueIndex(), queue);
    }

    /** QEMU's QOM path of the virtio backend of a {@code -device ...,id=<id>}. */
    static String devicePath(String deviceId) {
        return "/machine/peripheral/" + deviceId + "/virtio-backend";
    }

    static String describe(VirtioAlert alert) {
        return alert.getState() + " " + alert.getAlertId() + " (" + alert.getSeverity() + "): " + alert.getSummary()
                + " evidence " + alert.getEvidence().stream()
                        .map(e -> e.getObservation() + " " + e.getValues() + " " + e.getDetails())
                        .collect(Collectors.joining("; "));
    }

    static String describe(List<VirtioAlert> alerts) {
        return alerts.stream().map(Episodes::describe).collect(Collectors.joining("\n  ", "\n  ", ""));
    }

    /** A scenario file from the test resources ({@code /e2e/<name>.yaml}). */
    static Scenario scenario(String name) throws Exception {
        String resource = "/e2e/" + name + ".yaml";
        try (InputStream in = Episodes.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no test resource " + resource);
            }
            return new ScenarioReader().parse(resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
