package dev.virtiofleet.qapi;

/**
 * A QMP reply that does not fit its QAPI type. The message names the command, the member (as a
 * path such as {@code descs[0].addr}) and the offending value, so an operator can tell a QEMU
 * incompatibility from a corrupt monitor.
 */
public final class QapiDecodeException extends Exception {
    private final String command;
    private final String member;

    public QapiDecodeException(String command, String member, String problem, Throwable cause) {
        super(command + ": " + (member.isEmpty() ? "" : "member '" + member + "' ") + problem, cause);
        this.command = command;
        this.member = member;
    }

    public String command() {
        return command;
    }

    /** Path of the offending member inside the reply; empty when the reply itself is wrong. */
    public String member() {
        return member;
    }
}
