package dev.virtiofleet.launcher.demo;

import dev.virtiofleet.avro.AlertSubject;
import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.avro.VirtioAlert;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** How an alert transition reads on a terminal: one headline and its evidence beneath. */
final class AlertText {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());
    private static final int EVIDENCE_SHOWN = 3;

    private AlertText() {}

    static List<String> lines(VirtioAlert alert) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%s %-8s %-8s %-24s %s  %s",
                TIME.format(alert.getEventTime()), alert.getState(), alert.getSeverity(),
                alert.getKind().name().toLowerCase(Locale.ROOT).replace('_', ' '), subject(alert.getSubject()), alert.getSummary()));
        List<Evidence> evidence = alert.getEvidence();
        for (Evidence item : evidence.subList(Math.max(0, evidence.size() - EVIDENCE_SHOWN), evidence.size())) {
            lines.add("           evidence " + TIME.format(item.getEventTime()) + ": " + item.getObservation() + values(item));
        }
        if (alert.getEndedAt() != null) {
            lines.add("           episode " + TIME.format(alert.getStartedAt()) + " - " + TIME.format(alert.getEndedAt())
                    + " (" + (alert.getEndedAt().getEpochSecond() - alert.getStartedAt().getEpochSecond()) + " s), id " + alert.getAlertId());
        }
        return lines;
    }

    static String subject(AlertSubject subject) {
        StringBuilder text = new StringBuilder(subject.getHostId());
        String vm = subject.getVmName() != null ? subject.getVmName() : subject.getVmUuid();
        if (vm != null) {
            text.append('/').append(vm);
        }
        if (subject.getDeviceName() != null) {
            text.append(' ').append(subject.getDeviceName());
        } else if (subject.getDevicePath() != null) {
            text.append(' ').append(subject.getDevicePath());
        }
        if (subject.getQueueIndex() != null) {
            text.append(" q").append(subject.getQueueIndex());
        }
        if (subject.getGroup() != null) {
            text.append(" [").append(subject.getGroup()).append(']');
        }
        return text.toString();
    }

    private static String values(Evidence item) {
        Map<String, Long> sorted = new TreeMap<>(item.getValues());
        if (sorted.isEmpty() && item.getDetails().isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder(" (");
        sorted.forEach((name, value) -> text.append(text.length() > 2 ? ", " : "").append(name).append(' ').append(value));
        new TreeMap<>(item.getDetails()).forEach((name, value) -> text.append(text.length() > 2 ? ", " : "").append(name).append(' ').append(value));
        return text.append(')').toString();
    }

    static String time(Instant instant) {
        return TIME.format(instant);
    }
}
