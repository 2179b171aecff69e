package dev.virtiofleet.streams.detect;

import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.drift.FeatureReport;
import java.util.List;
import java.util.Optional;

/** What one sample did to a device. */
public sealed interface Outcome {

    /**
     * The device is tracked with this state; these alert transitions happened; its group must hear
     * of its host features when they are new or changed.
     */
    record Tracked(DeviceState state, List<VirtioAlert> alerts, Optional<FeatureReport> featureReport) implements Outcome {
        public Tracked {
            alerts = List.copyOf(alerts);
        }
    }

    /** The device is gone: its alerts resolve, its group hears it left, nothing more is kept of it. */
    record Gone(List<VirtioAlert> alerts, Optional<FeatureReport> departure) implements Outcome {
        public Gone {
            alerts = List.copyOf(alerts);
        }
    }

    /** The sample changes nothing (late, or a duplicate); the reason says why. */
    record Ignored(String reason) implements Outcome {}
}
