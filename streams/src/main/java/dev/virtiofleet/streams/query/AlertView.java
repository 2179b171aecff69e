package dev.virtiofleet.streams.query;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;

/** A firing alert as the REST API shows it. */
public record AlertView(String alertId, AlertKind kind, Severity severity, String hostId, Optional<String> vm,
        Optional<String> devicePath, Optional<String> deviceName, Optional<Integer> queue, Optional<String> group,
        Instant since, String observation) {

    static AlertView of(AlertKind kind, Episode episode, DeviceIdentity device, OptionalInt queue) {
        return new AlertView(episode.alertId(), kind, episode.severity(), device.key().hostId(),
                Optional.of(device.vmName().orElse(device.key().vm())), Optional.of(device.key().devicePath()),
                Optional.of(device.deviceName()), queue.isPresent() ? Optional.of(queue.getAsInt()) : Optional.empty(),
                device.group(), episode.first().ref().eventTime(), episode.fired().text());
    }

    static AlertView ofHost(AlertKind kind, Episode episode, String hostId) {
        return new AlertView(episode.alertId(), kind, episode.severity(), hostId, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), episode.first().ref().eventTime(), episode.fired().text());
    }
}
