package dev.virtiofleet.agent.qmp;

/** A command outside {@link ReadOnlyCommands}: refused before anything reaches the monitor. */
public final class CommandNotAllowedException extends IllegalArgumentException {
    public CommandNotAllowedException(String command) {
        super("QMP command '" + command + "' is not on the agent's read-only allowlist " + ReadOnlyCommands.ALLOWED
                + "; QMP is fully privileged, so the agent sends nothing else");
    }
}
