package dev.virtiofleet.sim.scenario;

import dev.virtiofleet.sim.fault.Fault;
import java.time.Duration;

/**
 * At {@code at} after the scenario starts, inject or recover {@code fault} on one VM.
 *
 * @param at offset from the scenario's start
 * @param inject true to inject, false to recover
 * @param host the host the VM runs on
 * @param vm the VM's name
 * @param fault what to switch
 * @param description the fault's kind, target and feature as the scenario file names them
 */
public record TimelineStep(Duration at, boolean inject, String host, String vm, Fault fault, String description) {
    /** E.g. {@code at 60s inject backend-hang hv-01/db-1/blk0/0}. */
    @Override
    public String toString() {
        return "at " + at.toString().substring(2).toLowerCase() + " " + (inject ? "inject " : "recover ") + description;
    }
}
