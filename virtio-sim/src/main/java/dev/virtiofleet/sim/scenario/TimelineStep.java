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
 */
public record TimelineStep(Duration at, boolean inject, String host, String vm, Fault fault) {}
