package dev.virtiofleet.agent.runtime;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.serde.FleetSerdes;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a heartbeat every interval, keyed by host id. Best effort: a heartbeat is a snapshot that
 * the next one supersedes, so one that cannot be sent is counted (and reported in the next), never
 * spooled, and sending never waits long for an unreachable cluster.
 */
final class HeartbeatSender implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatSender.class);

    private final String topic;
    private final String key;
    private final Duration interval;
    private final Supplier<AgentHeartbeat> heartbeat;
    private final Producer<String, AgentHeartbeat> producer;
    private final LongAdder failed = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final Thread thread;

    HeartbeatSender(String topic, String hostId, Duration interval, Map<String, String> kafka, Supplier<AgentHeartbeat> heartbeat) {
        this.topic = topic;
        this.key = hostId;
        this.interval = interval;
        this.heartbeat = heartbeat;
        this.producer = new KafkaProducer<>(producerProperties(kafka, interval), new StringSerializer(),
                FleetSerdes.singleObject().heartbeat().serializer());
        this.thread = Thread.ofVirtual().name("heartbeat").unstarted(this::loop);
    }

    private static Map<String, Object> producerProperties(Map<String, String> kafka, Duration interval) {
        Map<String, Object> props = new HashMap<>(kafka);
        // A heartbeat must not hold up the next one: give up on the cluster's metadata within an interval.
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Math.min(Math.max(interval.toMillis(), 100), 5_000));
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return props;
    }

    HeartbeatSender start() {
        thread.start();
        return this;
    }

    /** Heartbeats that could not be sent so far. */
    long failed() {
        return failed.sum();
    }

    /** Heartbeats the cluster acknowledged so far. */
    long sent() {
        return sent.sum();
    }

    private void loop() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                sendOne();
                Thread.sleep(interval);
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    private void sendOne() {
        try {
            producer.send(new ProducerRecord<>(topic, key, heartbeat.get()), (metadata, error) -> {
                if (error == null) {
                    sent.increment();
                } else {
                    notSent(error);
                }
            });
        } catch (KafkaException e) {
            notSent(e);
        }
    }

    private void notSent(Exception error) {
        failed.increment();
        LOG.warn("heartbeat not sent ({} so far): {}", failed.sum(), error.getMessage());
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(2));
    }
}
