package dev.virtiofleet.agent.publish;

import dev.virtiofleet.agent.schedule.SampleSink;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.topics.SampleProducerSettings;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.topics.DeviceKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes samples to Kafka without ever blocking the pollers and without losing samples to a
 * broker outage.
 *
 * <p>Samples go to a bounded memory queue; one sender thread hands them to an idempotent,
 * acks=all, zstd producer. When the cluster is unreachable the producer's buffer fills, the sender
 * waits, the memory queue fills, and from then on new samples are appended to a {@link DiskSpool}
 * until it has been replayed, in order, after the memory queue. On close, whatever was not
 * acknowledged is put in front of the spool, so a restarted agent sends it first. Only the
 * spool's bound drops samples (oldest first), and every drop is counted by reason.
 */
public final class SamplePublisher implements SampleSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SamplePublisher.class);
    private static final int SPOOL_BATCH = 500;

    private final PublisherConfig config;
    private final Producer<byte[], byte[]> producer;
    private final Serializer<VirtioSample> serializer = FleetSerdes.singleObject().sample().serializer();
    private final ArrayBlockingQueue<SpooledRecord> memory;
    private final DiskSpool spool;
    private final Object routing = new Object();
    /** Guarded by {@link #routing}: once the memory queue overflowed, new samples queue behind the spool. */
    private boolean spooling;
    /** Samples from memory handed to the producer and not yet acknowledged, by send order. */
    private final ConcurrentSkipListMap<Long, SpooledRecord> inFlight = new ConcurrentSkipListMap<>();
    private final AtomicLong sendOrder = new AtomicLong();
    private final LongAdder delivered = new LongAdder();
    private final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();
    private final Thread sender;
    private volatile boolean running = true;
    private volatile boolean closing;
    private volatile boolean spoolBatchFailed;

    public SamplePublisher(PublisherConfig config) throws IOException {
        this(config, new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer()));
    }

    SamplePublisher(PublisherConfig config, Producer<byte[], byte[]> producer) throws IOException {
        this.config = config;
        this.producer = producer;
        this.memory = new ArrayBlockingQueue<>(config.memoryQueueRecords());
        this.spool = DiskSpool.open(config.spoolDir(), config.spoolMaxBytes(), config.spoolSegmentBytes());
        this.spooling = !spool.isEmpty();
        if (spooling) {
            LOG.info("resuming: {} samples ({} bytes) spooled in {} are sent first", spool.records(), spool.bytes(), config.spoolDir());
        }
        this.sender = Thread.ofPlatform().name("sample-publisher").daemon(true).start(this::sendLoop);
    }

    static Map<String, Object> producerProperties(PublisherConfig config) {
        Map<String, Object> props = SampleProducerSettings.common();
        // Retry for as long as the outage lasts; the spool, not a timeout, bounds what is held.
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.MAX_VALUE);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) config.sendBlockTimeout().toMillis());
        props.putAll(config.kafka());
        return props;
    }

    /** Never blocks on Kafka: memory first, disk when memory is full. */
    @Override
    public void accept(VirtioSample sample) {
        SpooledRecord record = new SpooledRecord(keyOf(sample).getBytes(StandardCharsets.UTF_8), serializer.serialize(config.topic(), sample));
        synchronized (routing) {
            if (!spooling && memory.offer(record)) {
                return;
            }
            spooling = true;
            try {
                spool.append(record);
            } catch (IOException e) {
                countDrop("spool-write-failed");
                LOG.error("cannot spool a sample to {}: {}; the sample is dropped and counted", config.spoolDir(), e.getMessage());
            }
        }
    }

    /** Kafka key of a sample: one device's history stays in one partition, in order. */
    public static String keyOf(VirtioSample sample) {
        return DeviceKey.of(sample).asString();
    }

    public PublisherStats stats() {
        Map<String, Long> drops = new HashMap<>();
        dropped.forEach((reason, count) -> drops.put(reason, count.sum()));
        long spoolFull = spool.droppedRecords();
        if (spoolFull > 0) {
            drops.put("spool-full", spoolFull);
        }
        return new PublisherStats(delivered.sum(), memory.size() + inFlight.size(), spool.records(), spool.bytes(), drops);
    }

    private void sendLoop() {
        try {
            while (running) {
                SpooledRecord next = memory.poll(100, TimeUnit.MILLISECONDS);
                if (next != null) {
                    sendFromMemory(next);
                } else if (isSpooling()) {
                    drainSpoolBatch();
                }
            }
        } catch (InterruptedException | InterruptException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("sample spool in {} failed: {}; samples stay there for the next start", config.spoolDir(), e.getMessage());
        }
    }

    private boolean isSpooling() {
        synchronized (routing) {
            if (spooling && spool.isEmpty() && memory.isEmpty()) {
                spooling = false;
                LOG.info("spool drained; samples go straight to Kafka again");
            }
            return spooling;
        }
    }

    private void sendFromMemory(SpooledRecord record) throws InterruptedException {
        long order = sendOrder.incrementAndGet();
        inFlight.put(order, record);
        send(record, order);
    }

    /** Replays one batch from disk; it leaves the spool only once Kafka has all of it. */
    private void drainSpoolBatch() throws IOException, InterruptedException {
        List<SpooledRecord> batch = spool.take(SPOOL_BATCH);
        spoolBatchFailed = false;
        try {
            for (SpooledRecord record : batch) {
                send(record, 0);
            }
            producer.flush();
        } catch (InterruptedException | InterruptException e) {
            spool.rewind();
            throw e;
        }
        if (spoolBatchFailed) {
            // Sent again from its start: some of it may arrive twice, none of it is lost.
            LOG.warn("Kafka failed part of a spool batch; it is sent again");
            spool.rewind();
        } else {
            spool.commit();
        }
    }

    /**
     * Hands one record to the producer, waiting out an unreachable cluster; order 0 = from the
     * spool. The producer reports "no metadata" or "buffer full" by failing the send at once (its
     * callback runs on this thread); such a record never left, so it is simply sent again.
     */
    private void send(SpooledRecord record, long order) throws InterruptedException {
        ProducerRecord<byte[], byte[]> kafkaRecord = new ProducerRecord<>(config.topic(), record.key(), record.value());
        while (true) {
            try {
                Future<RecordMetadata> result = producer.send(kafkaRecord, (metadata, error) -> {
                    if (error == null || Thread.currentThread() != sender) {
                        acknowledged(order, error);
                    }
                });
                if (!failedAtOnce(result)) {
                    return;
                }
            } catch (TimeoutException e) {
                LOG.debug("Kafka not reachable yet: {}", e.getMessage());
            }
            if (!running) {
                throw new InterruptedException("publisher closing");
            }
        }
    }

    private static boolean failedAtOnce(Future<RecordMetadata> result) throws InterruptedException {
        if (!result.isDone()) {
            return false;
        }
        try {
            result.get();
            return false;
        } catch (ExecutionException e) {
            LOG.debug("Kafka not reachable yet: {}", e.getCause().getMessage());
            return true;
        }
    }

    private void acknowledged(long order, Exception error) {
        if (error == null) {
            delivered.increment();
            if (order != 0) {
                inFlight.remove(order);
            }
        } else if (order == 0) {
            spoolBatchFailed = true;
        } else if (!closing) {
            inFlight.remove(order);
            countDrop("rejected-by-broker");
            LOG.error("Kafka rejected a sample for good: {}; dropped and counted", error.toString());
        }
    }

    private void countDrop(String reason) {
        dropped.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    /** Delivers what it can within the close timeout, spools the rest in order, and stops. */
    @Override
    public void close() throws IOException, InterruptedException {
        running = false;
        sender.join(config.closeTimeout().toMillis());
        sender.interrupt();
        sender.join();
        closing = true;
        producer.close(config.closeTimeout());
        List<SpooledRecord> unsent = new ArrayList<>(inFlight.values());
        synchronized (routing) {
            memory.drainTo(unsent);
            spool.prepend(unsent);
            inFlight.clear();
            spool.close();
        }
        if (!unsent.isEmpty() || !spool.isEmpty()) {
            LOG.info("stopped with {} samples spooled in {}; they are sent at the next start", spool.records(), config.spoolDir());
        }
    }
}
