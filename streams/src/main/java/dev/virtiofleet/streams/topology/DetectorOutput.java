package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.drift.FeatureReport;
import java.util.Optional;

/** What the device detector emits, each bound for its own topic. */
sealed interface DetectorOutput {
    record Alert(VirtioAlert alert) implements DetectorOutput {}

    /** A health record, or a tombstone when empty. */
    record Health(Optional<DeviceHealth> health) implements DetectorOutput {}

    record Features(FeatureReport report) implements DetectorOutput {}
}
