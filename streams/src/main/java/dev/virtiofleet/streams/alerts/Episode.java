package dev.virtiofleet.streams.alerts;

import dev.virtiofleet.avro.Severity;
import java.util.Optional;

/**
 * A firing alert.
 *
 * @param alertId stable id, the same in FIRING and RESOLVED
 * @param severity severity it fired with
 * @param first the first sample showing the condition (the episode start)
 * @param fired the sample that crossed the threshold
 * @param clearing the first sample of a run without the condition, while the hold-down runs
 */
public record Episode(String alertId, Severity severity, Observation first, Observation fired, Optional<Observation> clearing) {

    public Episode continued() {
        return new Episode(alertId, severity, first, fired, Optional.empty());
    }

    public Episode clearingSince(Observation observation) {
        return new Episode(alertId, severity, first, fired, Optional.of(clearing.orElse(observation)));
    }
}
