package dev.virtiofleet.streams.topology;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.detection.DetectedSample;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/** Event time is when the agent read the device (or made the heartbeat), not when the record reached Kafka. */
public final class SampleTimestampExtractor implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
        if (record.value() instanceof DetectedSample sample) {
            return sample.getEventTime().toEpochMilli();
        }
        if (record.value() instanceof AgentHeartbeat heartbeat) {
            return heartbeat.getEventTime().toEpochMilli();
        }
        return record.timestamp() >= 0 ? record.timestamp() : partitionTime;
    }
}
