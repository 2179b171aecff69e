package dev.virtiofleet.sim.machine;

/** How the VM's QMP monitor behaves. */
public enum MonitorCondition {
    RESPONSIVE,
    /** QEMU's main loop is stuck: nothing is read or answered; buffered commands run on recovery. */
    HUNG,
    /** The monitor answers with bytes that are not QMP (a crashing or corrupted QEMU). */
    GARBAGE
}
