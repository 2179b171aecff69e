package dev.virtiofleet.agent.poll;

import dev.virtiofleet.agent.qmp.QmpCommand;
import dev.virtiofleet.agent.qmp.QmpOutcome;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.mapping.QmpErrorKinds;
import dev.virtiofleet.qapi.QapiDecodeException;
import java.util.Optional;

/**
 * Turns a command that yielded no value into the {@link CommandError} a sample carries. Most such
 * errors are expected (DESIGN.md, "QMP, as QEMU really speaks it") and are data, not failures.
 */
final class CommandErrors {
    private CommandErrors() {}

    static CommandError of(QmpCommand command, QmpOutcome outcome) {
        return switch (outcome) {
            case QmpOutcome.QmpError e -> CommandError.newBuilder()
                    .setCommand(command.execute())
                    .setQueueIndex(queueOf(command).orElse(null))
                    .setKind(classify(e))
                    .setErrorClass(e.errorClass())
                    .setDescription(e.description())
                    .build();
            case QmpOutcome.Timeout t -> agentError(command, CommandErrorKind.TIMEOUT, "no reply within " + t.deadline());
            case QmpOutcome.ConnectionLost lost -> agentError(command, CommandErrorKind.CONNECTION_LOST, lost.reason());
            case QmpOutcome.Reply reply -> throw new IllegalArgumentException("a reply is not an error: " + command);
        };
    }

    static CommandError decodeFailed(QmpCommand command, QapiDecodeException failure) {
        return agentError(command, CommandErrorKind.DECODE_FAILED, failure.getMessage());
    }

    /** A reply that decoded but cannot be true; {@code why} says what was done with it. */
    static CommandError implausible(QmpCommand command, String why) {
        return agentError(command, CommandErrorKind.DECODE_FAILED, why);
    }

    /** The safety rule at work: the command was deliberately not sent. */
    static CommandError skippedUnsafe(QmpCommand command, String why) {
        return agentError(command, CommandErrorKind.SKIPPED_UNSAFE, why);
    }

    /** An error the agent itself describes, with no QMP error class. */
    private static CommandError agentError(QmpCommand command, CommandErrorKind kind, String description) {
        return CommandError.newBuilder()
                .setCommand(command.execute())
                .setQueueIndex(queueOf(command).orElse(null))
                .setKind(kind)
                .setErrorClass(null)
                .setDescription(description)
                .build();
    }

    static CommandErrorKind classify(QmpOutcome.QmpError error) {
        return QmpErrorKinds.classify(error.errorClass(), error.description());
    }

    private static Optional<Integer> queueOf(QmpCommand command) {
        return command.arguments().path("queue").canConvertToInt()
                ? Optional.of(command.arguments().get("queue").asInt()) : Optional.empty();
    }
}
