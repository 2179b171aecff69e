package dev.virtiofleet.sim.device;

/** Device-wide failure states QEMU and the guest can put a device in. */
public enum DeviceHealth {
    HEALTHY,
    /** QEMU hit a device error ({@code virtio_error}): {@code broken: true} and NEEDS_RESET set. */
    BROKEN,
    /** Only the NEEDS_RESET status bit: the device asks the driver for a reset. */
    NEEDS_RESET,
    /** The guest driver gave up on the device and set FAILED. */
    FAILED
}
