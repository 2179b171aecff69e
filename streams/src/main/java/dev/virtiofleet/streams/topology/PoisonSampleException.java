package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.streams.observe.InvalidSampleException;

/** A sample that decoded but cannot be true; its message becomes the dead-letter record's reason. */
final class PoisonSampleException extends RuntimeException {
    PoisonSampleException(DetectedSample sample, InvalidSampleException cause) {
        super("impossible sample from agent run " + sample.getAgentRunId() + " seq " + sample.getAgentSequence() + " for "
                + sample.getHostId() + " " + sample.getDevicePath() + ": " + cause.getMessage(), cause);
    }
}
