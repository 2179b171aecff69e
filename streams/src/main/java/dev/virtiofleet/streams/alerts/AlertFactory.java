package dev.virtiofleet.streams.alerts;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.AlertSubject;
import dev.virtiofleet.avro.Evidence;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/** Builds the FIRING and RESOLVED records of an episode. */
public final class AlertFactory {

    private AlertFactory() {}

    /**
     * What an alert is about: the Avro subject, the path that names it in alert ids
     * ({@code host/vm/devicePath[/queue]} or {@code host}), and the same in words.
     */
    public record Subject(AlertSubject avro, String path, String words) {

        public static Subject of(DeviceIdentity device, OptionalInt queue) {
            AlertSubject avro = AlertSubject.newBuilder()
                    .setHostId(device.key().hostId())
                    .setVmName(device.vmName().orElse(null))
                    .setVmUuid(device.vmUuid().orElse(null))
                    .setDevicePath(device.key().devicePath())
                    .setDeviceName(device.deviceName())
                    .setQueueIndex(queue.isPresent() ? queue.getAsInt() : null)
                    .setGroup(device.group().orElse(null))
                    .build();
            String path = device.key().asString() + (queue.isPresent() ? "/" + queue.getAsInt() : "");
            String words = device.deviceName() + (queue.isPresent() ? " queue " + queue.getAsInt() : "")
                    + " of " + device.vmName().orElse(device.key().vm()) + " on " + device.key().hostId();
            return new Subject(avro, path, words);
        }

        public static Subject host(String hostId) {
            return new Subject(AlertSubject.newBuilder().setHostId(hostId).build(), hostId, "agent on " + hostId);
        }
    }

    /**
     * {@code KIND/subject-path@startMillis}: deterministic from kind, subject and episode start, so
     * a replay after a crash produces the same id.
     */
    public static String alertId(AlertKind kind, Subject subject, Instant episodeStart) {
        return kind + "/" + subject.path() + "@" + episodeStart.toEpochMilli();
    }

    public static VirtioAlert firing(AlertKind kind, Subject subject, Episode episode) {
        List<Evidence> evidence = startEvidence(episode);
        return base(kind, subject, episode)
                .setState(AlertState.FIRING)
                .setEventTime(episode.fired().ref().eventTime())
                .setEvidence(evidence)
                .build();
    }

    /**
     * @param end the first sample without the condition, or what ended the episode (a reset)
     * @param at event time of the sample that decided the resolution
     */
    public static VirtioAlert resolved(AlertKind kind, Subject subject, Episode episode, Observation end, Instant at) {
        List<Evidence> evidence = startEvidence(episode);
        evidence.add(end.toEvidence());
        return base(kind, subject, episode)
                .setState(AlertState.RESOLVED)
                .setEndedAt(end.ref().eventTime())
                .setEventTime(at)
                .setEvidence(evidence)
                .build();
    }

    private static List<Evidence> startEvidence(Episode episode) {
        List<Evidence> evidence = new ArrayList<>();
        evidence.add(episode.first().toEvidence());
        if (!episode.fired().ref().equals(episode.first().ref())) {
            evidence.add(episode.fired().toEvidence());
        }
        return evidence;
    }

    private static VirtioAlert.Builder base(AlertKind kind, Subject subject, Episode episode) {
        Instant start = episode.first().ref().eventTime();
        return VirtioAlert.newBuilder()
                .setAlertId(episode.alertId())
                .setKind(kind)
                .setSeverity(episode.severity())
                .setSubject(AlertSubject.newBuilder(subject.avro()).build())
                .setStartedAt(start)
                .setSummary(words(kind) + ": " + subject.words() + " since " + start + ": " + episode.first().text());
    }

    private static String words(AlertKind kind) {
        String lower = kind.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        return Character.toUpperCase(lower.charAt(0)) + lower.substring(1);
    }
}
