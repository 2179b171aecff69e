package dev.virtiofleet.agent.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.agent.qmp.QmpCommand;
import dev.virtiofleet.agent.qmp.QmpOutcome;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.qapi.QapiReader;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class CommandErrorsTest {

    /** QEMU's wording of every expected error (DESIGN.md), in all its known variants. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GenericError    | Region caches not initialized                                            | REGION_CACHES_NOT_INITIALIZED",
        "GenericError    | Error: vhost device has not started yet                                  | VHOST_NOT_STARTED",
        "GenericError    | Invalid virtqueue number 999                                             | INVALID_QUEUE",
        "GenericError    | Invalid vhost virtqueue number 3                                         | INVALID_QUEUE",
        "GenericError    | Path /machine/peripheral/nope/virtio-backend is not a VirtIODevice       | NOT_A_VIRTIO_DEVICE",
        "GenericError    | Path /machine/peripheral/nope/virtio-backend is not a realized VirtIODevice | NOT_A_VIRTIO_DEVICE",
        "GenericError    | No virtio devices found                                                  | NO_VIRTIO_DEVICES",
        "GenericError    | Packed ring not supported                                                | PACKED_RING_NOT_SUPPORTED",
        "CommandNotFound | The command x-query-virtio has not been found                            | COMMAND_NOT_FOUND",
        "GenericError    | Parameter 'path' is missing                                              | QMP_ERROR",
    })
    void classifiesQemusWording(String errorClass, String description, CommandErrorKind kind) {
        CommandError error = CommandErrors.of(QmpCommand.forQueue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/p", 3),
                new QmpOutcome.QmpError(errorClass, description));
        assertEquals(new CommandError(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, 3, kind, errorClass, description), error);
    }

    @Test
    void timeoutsAndLostConnectionsAreFailuresWithTheAgentsExplanation() {
        QmpCommand status = QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, "/p");
        assertEquals(new CommandError(QapiReader.X_QUERY_VIRTIO_STATUS, null, CommandErrorKind.TIMEOUT, null, "no reply within PT5S"),
                CommandErrors.of(status, new QmpOutcome.Timeout(Duration.ofSeconds(5))));
        assertEquals(new CommandError(QapiReader.X_QUERY_VIRTIO_STATUS, null, CommandErrorKind.CONNECTION_LOST, null, "malformed JSON"),
                CommandErrors.of(status, new QmpOutcome.ConnectionLost("malformed JSON")));
    }
}
