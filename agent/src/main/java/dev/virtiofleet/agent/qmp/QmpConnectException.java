package dev.virtiofleet.agent.qmp;

import java.io.IOException;

/** A monitor could not be connected to or did not complete the QMP handshake. */
public final class QmpConnectException extends IOException {
    public QmpConnectException(String message, Throwable cause) {
        super(message, cause);
    }
}
