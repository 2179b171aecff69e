package dev.virtiofleet.streams.observe;

/** A sample that decodes but cannot be true (an index beyond 16 bits, more buffers in use than the ring holds). */
public final class InvalidSampleException extends Exception {
    public InvalidSampleException(String message) {
        super(message);
    }
}
