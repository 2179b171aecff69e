package dev.virtiofleet.agent.qmp;

/** The QEMU version a monitor announced in its greeting. */
public record QemuVersion(int major, int minor, int micro, String packageName) {

    @Override
    public String toString() {
        return major + "." + minor + "." + micro + (packageName.isEmpty() ? "" : " (" + packageName + ")");
    }
}
