package dev.virtiofleet.agent.qmp;

import java.time.Duration;

/** What became of one command. Every command ends in exactly one of these; none is an exception. */
public sealed interface QmpOutcome {

    /** QEMU answered with a {@code return} value. */
    record Reply(RawJson value) implements QmpOutcome {}

    /** QEMU answered with an {@code error}: its class (GenericError, CommandNotFound, ...) and desc. */
    record QmpError(String errorClass, String description) implements QmpOutcome {}

    /** No answer within the command's deadline; the connection may still be open. */
    record Timeout(Duration deadline) implements QmpOutcome {}

    /** The connection ended (or was already closed) before the answer came; the reason says why. */
    record ConnectionLost(String reason) implements QmpOutcome {}
}
