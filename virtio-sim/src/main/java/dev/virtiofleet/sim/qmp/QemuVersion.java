package dev.virtiofleet.sim.qmp;

/** The QEMU a simulated VM claims to be, in its greeting and {@code query-version}. */
public record QemuVersion(int major, int minor, int micro, String packageName) {
    /** The QEMU of the transcripts. */
    public static final QemuVersion DEBIAN_7_2 = new QemuVersion(7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3");
}
