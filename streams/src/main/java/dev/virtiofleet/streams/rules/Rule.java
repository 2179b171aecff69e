package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;

/** One row of DESIGN.md's detection table. */
public sealed interface Rule permits DeviceRule, QueueRule {
    AlertKind kind();
}
