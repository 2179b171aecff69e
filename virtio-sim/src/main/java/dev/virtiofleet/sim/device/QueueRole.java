package dev.virtiofleet.sim.device;

/**
 * What a queue is for, which decides how it looks when healthy (see DESIGN.md, "Queue roles").
 */
public enum QueueRole {
    /**
     * The driver submits work and waits for the device: block and SCSI requests, network
     * transmit and control, entropy requests. Healthy and idle means nothing outstanding.
     */
    REQUEST,
    /**
     * The driver posts empty buffers in advance for the device to fill when data arrives: network
     * receive, input and SCSI events, console receive. Healthy and idle means buffers waiting.
     */
    BUFFER_POOL,
    /**
     * The balloon statistics queue: the guest leaves one buffer with the device, which returns it
     * only when it wants fresh statistics. Healthy and idle means one buffer in use, never used.
     */
    HELD_BUFFER
}
