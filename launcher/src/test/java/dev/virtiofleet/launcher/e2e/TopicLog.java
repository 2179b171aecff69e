package dev.virtiofleet.launcher.e2e;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything on one topic from its beginning, as a {@code read_committed} consumer sees it, read
 * by a background thread into a list a test can look at any time. Survives a broker restart (the
 * consumer reconnects). {@link #close} stops the thread and closes the consumer.
 *
 * @param <V> the decoded value; a tombstone is a null value
 */
final class TopicLog<V> implements AutoCloseable {

    /** One record, with the wall-clock moment this log received it (for latency). */
    record Entry<V>(String key, V value, int partition, long offset, Instant received) {}

    private final String topic;
    private final KafkaConsumer<String, byte[]> consumer;
    private final BiFunction<String, byte[], V> decoder;
    private final List<Entry<V>> entries = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean running = true;
    private volatile Throwable failure;

    TopicLog(String bootstrapServers, String topic, int partitions, BiFunction<String, byte[], V> decoder) {
        this.topic = topic;
        this.decoder = decoder;
        this.consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> all = java.util.stream.IntStream.range(0, partitions)
                .mapToObj(p -> new TopicPartition(topic, p)).toList();
        consumer.assign(all);
        consumer.seekToBeginning(all);
        this.reader = Thread.ofPlatform().daemon(true).name("e2e-log-" + topic).start(this::read);
    }

    private void read() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    V value = record.value() == null ? null : decoder.apply(topic, record.value());
                    entries.add(new Entry<>(record.key(), value, record.partition(), record.offset(), Instant.now()));
                }
            }
        } catch (WakeupException e) {
            // close() asked us to stop
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /** What has arrived so far, in arrival order (per partition in offset order). */
    List<Entry<V>> entries() {
        if (failure != null) {
            throw new AssertionError("reading " + topic + " failed", failure);
        }
        return List.copyOf(entries);
    }

    /** The values that have arrived so far, tombstones left out. */
    List<V> values() {
        return entries().stream().map(Entry::value).filter(v -> v != null).toList();
    }

    String topic() {
        return topic;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(TimeUnit.SECONDS.toMillis(15));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
