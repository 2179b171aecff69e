package dev.virtiofleet.sim.qmp;

/** A QMP error reply: {@code {"error": {"class": ..., "desc": ...}}} with QEMU's wording. */
public record QmpError(String errorClass, String desc) {
    public static final String GENERIC = "GenericError";
    public static final String COMMAND_NOT_FOUND = "CommandNotFound";

    public static QmpError generic(String desc) {
        return new QmpError(GENERIC, desc);
    }

    public static QmpError commandNotFound(String command) {
        return new QmpError(COMMAND_NOT_FOUND, "The command " + command + " has not been found");
    }

    public static QmpError notAVirtioDevice(String path) {
        return generic("Path " + path + " is not a VirtIODevice");
    }

    public static QmpError invalidQueue(int queue) {
        return generic("Invalid virtqueue number " + queue);
    }

    public static QmpError invalidVhostQueue(int queue) {
        return generic("Invalid vhost virtqueue number " + queue);
    }

    public static QmpError vhostNotStarted() {
        return generic("Error: vhost device has not started yet");
    }
}
