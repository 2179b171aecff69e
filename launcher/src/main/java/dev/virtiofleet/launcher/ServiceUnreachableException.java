package dev.virtiofleet.launcher;

/** A service the command needs (the Kafka cluster) did not answer; exit code 3. */
public final class ServiceUnreachableException extends RuntimeException {
    public ServiceUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
