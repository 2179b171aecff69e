package dev.virtiofleet.agent.publish;

import dev.virtiofleet.agent.schedule.SampleSink;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.topics.SampleProducerSettings;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes samples to Kafka exactly once, without ever blocking the pollers and without losing
 * samples to a broker outage or an agent restart.
 *
 * <p>Samples go to a bounded memory queue; one sender thread delivers them in Kafka transactions
 * of up to {@link PublisherConfig#commitInterval()} worth of samples. A sample counts as
 * delivered only once its transaction commits. Why transactions: an idempotent producer
 * de-duplicates its own retries, but a sample sent just before the broker went away and then
 * handed to the next agent run is ambiguous (it may already be in the log); a transaction that
 * did not commit is aborted by the next run's {@code initTransactions} and invisible to
 * read_committed consumers (the streams application), so sending it again duplicates nothing.
 *
 * <p>When the cluster is unreachable the commit waits, the memory queue fills, and from then on
 * new samples are appended to a {@link DiskSpool} until it has been replayed, in order, after
 * the memory queue. On close, the uncommitted transaction and the memory queue are put in front
 * of the spool, so a restarted agent sends them first. Only the spool's bound drops samples
 * (oldest first), and every drop is counted by reason.
 */
public final class SamplePublisher implements SampleSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SamplePublisher.class);
    private static final int SPOOL_BATCH = 2_000;
    private static final int MEMORY_BATCH = 10_000;
    private static final Duration GATHER_STEP = Duration.ofMillis(50);
    private static final Duration RETRY_PAUSE = Duration.ofMillis(200);

    private final PublisherConfig config;
    private final Serializer<VirtioSample> serializer = FleetSerdes.singleObject().sample().serializer();
    private final ArrayBlockingQueue<SpooledRecord> memory;
    private final DiskSpool spool;
    private final Object routing = new Object();
    /** Guarded by {@link #routing}: once the memory queue overflowed, new samples queue behind the spool. */
    private boolean spooling;
    /** The transaction being delivered; read by {@link #close} once the sender has stopped. */
    private volatile Batch current = Batch.NONE;
    private final LongAdder delivered = new LongAdder();
    private final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();
    private final Thread sender;
    /** Owned by the sender thread; empty until the cluster answered {@code initTransactions}. */
    private Producer<byte[], byte[]> producer;
    private volatile boolean running = true;

    public SamplePublisher(PublisherConfig config) throws IOException {
        this.config = config;
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
        // A crashed agent's open transaction holds read_committed consumers back until it times out.
        props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) PublisherConfig.TRANSACTION_TIMEOUT.toMillis());
        // Readers see a sample only when its transaction commits, and the commit sends what lingers:
        // lingering until then costs no latency and makes one request per partition and transaction.
        props.put(ProducerConfig.LINGER_MS_CONFIG, (int) config.commitInterval().toMillis());
        props.putAll(config.kafka());
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
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
        Batch inFlight = current;
        return new PublisherStats(delivered.sum(), memory.size() + (inFlight.fromSpool() ? 0 : inFlight.records().size()),
                spool.records(), spool.bytes(), drops);
    }

    private void sendLoop() {
        try {
            while (running) {
                SpooledRecord first = memory.poll(100, TimeUnit.MILLISECONDS);
                if (first != null) {
                    deliver(new Batch(new ArrayList<>(List.of(first)), false), new MemoryGatherer());
                } else if (isSpooling()) {
                    List<SpooledRecord> taken = spool.take(SPOOL_BATCH);
                    if (!taken.isEmpty()) {
                        deliver(new Batch(new ArrayList<>(taken), true), Gatherer.NOTHING_MORE);
                        spool.commit();
                    }
                }
                current = Batch.NONE;
            }
        } catch (InterruptedException | InterruptException | ClosedByInterruptException e) {
            // Closing: what the spool holds stays committed where it was, for the next start.
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("sample spool in {} failed: {}; samples stay there for the next start", config.spoolDir(), e.toString());
        } finally {
            if (producer != null) {
                // Whatever was not committed is aborted by the next run's initTransactions.
                producer.close(Duration.ZERO);
            }
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

    /**
     * Sends the batch, and what {@code more} adds to it, in one transaction and commits it,
     * retrying the whole transaction until it commits (a record the producer refuses for good is
     * dropped and counted). Throws {@link InterruptedException} when the publisher closes first;
     * the batch then stays {@link #current} for {@link #close} to keep.
     */
    private void deliver(Batch batch, Gatherer more) throws InterruptedException {
        current = batch;
        String lastFailure = "";
        List<SpooledRecord> records = batch.records();
        while (true) {
            Producer<byte[], byte[]> transactional = transactionalProducer();
            try {
                transactional.beginTransaction();
                for (SpooledRecord record : records) {
                    send(transactional, record);
                }
                for (List<SpooledRecord> next = more.next(records.size()); !next.isEmpty(); next = more.next(records.size())) {
                    // In the batch before any is sent: a failed send retries them all.
                    records.addAll(next);
                    for (SpooledRecord record : next) {
                        send(transactional, record);
                    }
                }
                untilNoTimeout(transactional::commitTransaction, "commit");
                delivered.add(records.size());
                return;
            } catch (RejectedRecord rejected) {
                records.remove(rejected.record);
                countDrop("rejected-by-kafka");
                LOG.error("a sample cannot be sent at all: {}; dropped and counted, the others are sent again", rejected.getCause().toString());
                more = Gatherer.NOTHING_MORE;
                abortOrRenew(transactional);
            } catch (KafkaException e) {
                if (e instanceof InterruptException) {
                    throw e;
                }
                more = Gatherer.NOTHING_MORE;
                if (!e.toString().equals(lastFailure)) {
                    lastFailure = e.toString();
                    LOG.warn("a transaction of {} samples failed ({}); it is sent again until it commits", records.size(), lastFailure);
                }
                abortOrRenew(transactional);
                pauseUnlessClosing();
            }
        }
    }

    /**
     * Hands one record to the producer. A send that fails at once dooms the transaction (the
     * producer moves it to an abortable state): a retriable cause (no metadata yet, buffer full)
     * is thrown on to retry the transaction; any other is this record's own (too large for
     * {@code max.request.size}), thrown as {@link RejectedRecord} so the record is dropped.
     */
    private void send(Producer<byte[], byte[]> transactional, SpooledRecord record) {
        Future<RecordMetadata> result = transactional.send(new ProducerRecord<>(config.topic(), record.key(), record.value()));
        if (!result.isDone()) {
            return;
        }
        try {
            result.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RetriableException retriable) {
                throw retriable;
            }
            throw new RejectedRecord(record, e.getCause());
        } catch (InterruptedException e) {
            throw new InterruptException(e);
        }
    }

    /**
     * Runs a transaction call that may time out while the cluster is away; a call that timed out is
     * retried (commit and initTransactions are idempotent) for as long as the outage lasts.
     */
    private void untilNoTimeout(Runnable call, String what) throws InterruptedException {
        while (true) {
            try {
                call.run();
                return;
            } catch (TimeoutException e) {
                LOG.debug("{} waits for Kafka: {}", what, e.getMessage());
                pauseUnlessClosing();
            }
        }
    }

    /** Aborts a failed transaction; a producer that cannot abort is replaced by a new one. */
    private void abortOrRenew(Producer<byte[], byte[]> transactional) throws InterruptedException {
        try {
            transactional.abortTransaction();
        } catch (KafkaException e) {
            if (e instanceof InterruptException) {
                throw e;
            }
            LOG.warn("the producer cannot abort ({}); a new one takes over: the cluster aborts what the old one left open", e.toString());
            transactional.close(Duration.ZERO);
            producer = null;
            pauseUnlessClosing();
        }
    }

    /** The producer, once the cluster registered its transactional id; retries through an outage. */
    private Producer<byte[], byte[]> transactionalProducer() throws InterruptedException {
        String lastComplaint = "";
        while (producer == null) {
            Producer<byte[], byte[]> fresh = null;
            try {
                fresh = new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
                // Registers the transactional id, which also aborts what an earlier run left open.
                untilNoTimeout(fresh::initTransactions, "initTransactions");
                producer = fresh;
            } catch (KafkaException | InterruptedException e) {
                if (fresh != null) {
                    fresh.close(Duration.ZERO);
                }
                if (e instanceof InterruptedException || e instanceof InterruptException) {
                    throw e;
                }
                if (!e.toString().equals(lastComplaint)) {
                    lastComplaint = e.toString();
                    LOG.error("no transactional producer for {} yet: {}; retrying", config.transactionalId(), lastComplaint);
                }
                pauseUnlessClosing();
            }
        }
        return producer;
    }

    private void pauseUnlessClosing() throws InterruptedException {
        if (!running) {
            throw new InterruptedException("publisher closing");
        }
        Thread.sleep(RETRY_PAUSE);
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
        Batch unfinished = current;
        List<SpooledRecord> unsent = new ArrayList<>();
        synchronized (routing) {
            if (unfinished.fromSpool()) {
                spool.rewind();
            } else {
                unsent.addAll(unfinished.records());
            }
            memory.drainTo(unsent);
            spool.prepend(unsent);
            spool.close();
        }
        if (!spool.isEmpty()) {
            LOG.info("stopped with {} samples spooled in {}; they are sent at the next start", spool.records(), config.spoolDir());
        }
    }

    /** A record the producer refused at once for a reason of its own, which no retry cures. */
    private static final class RejectedRecord extends KafkaException {
        private final transient SpooledRecord record;

        RejectedRecord(SpooledRecord record, Throwable cause) {
            super(cause);
            this.record = record;
        }
    }

    /** The records of one transaction, and whether they were taken from the spool (else from memory). */
    private record Batch(List<SpooledRecord> records, boolean fromSpool) {
        static final Batch NONE = new Batch(List.of(), false);
    }

    /** More records for an open transaction, given how many it has; none when it is complete. */
    @FunctionalInterface
    private interface Gatherer {
        Gatherer NOTHING_MORE = size -> List.of();

        List<SpooledRecord> next(int size) throws InterruptedException;
    }

    /**
     * Samples arriving in memory during one commit interval, up to a transaction's bound. It takes
     * what has arrived every {@link #GATHER_STEP} rather than waking for each sample: a host's
     * hundreds of samples a second would otherwise cost as many thread wake-ups, for records that
     * readers see only at the commit anyway.
     */
    private final class MemoryGatherer implements Gatherer {
        private final long deadline = System.nanoTime() + config.commitInterval().toNanos();

        @Override
        public List<SpooledRecord> next(int size) throws InterruptedException {
            List<SpooledRecord> arrived = new ArrayList<>();
            while (size < MEMORY_BATCH) {
                memory.drainTo(arrived, MEMORY_BATCH - size);
                long left = deadline - System.nanoTime();
                // Closing takes what is in memory into the last transaction rather than to the spool.
                if (!arrived.isEmpty() || !running || left <= 0) {
                    return arrived;
                }
                Thread.sleep(Duration.ofNanos(Math.min(left, GATHER_STEP.toNanos())));
            }
            return arrived;
        }
    }
}
