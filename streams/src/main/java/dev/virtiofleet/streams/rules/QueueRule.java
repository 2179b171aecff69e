package dev.virtiofleet.streams.rules;

import dev.virtiofleet.streams.observe.DeviceStatusView;
import dev.virtiofleet.streams.observe.QueueView;

/**
 * A rule about the progress of one queue of an active device (started, DRIVER_OK, not broken). It
 * is evaluated only while the VM runs, and its clock counts only running time, so a paused VM
 * neither advances nor resets it.
 */
public non-sealed interface QueueRule extends Rule {
    Verdict evaluate(DeviceStatusView status, QueueView queue);

    /** A progress verdict needs a before and an after: at least two samples. */
    int MIN_SAMPLES = 2;
}
