package dev.virtiofleet.agent.qmp;

/** The monitor sent something QMP does not allow; the connection that carried it is closed. */
final class QmpProtocolException extends Exception {
    QmpProtocolException(String reason) {
        super(reason);
    }
}
