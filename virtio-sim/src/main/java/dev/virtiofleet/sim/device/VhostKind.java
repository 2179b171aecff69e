package dev.virtiofleet.sim.device;

/** Which vhost backend runs a device's data path outside QEMU. */
public enum VhostKind {
    /** In-kernel vhost (vhost-net): no protocol features. */
    KERNEL,
    /** A vhost-user process (DPDK, libvhost-user, rust-vmm): stops a ring on GET_VRING_BASE. */
    USER
}
