package dev.virtiofleet.streams.topology;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What to do when an alert or health record cannot be produced. Transient broker trouble is
 * retried. A record that can never be produced (too large for the topic, rejected as invalid, not
 * serialisable) is logged with its topic and key and counted, and processing resumes: failing would
 * abort the transaction and replay the same input into the same failure forever, stopping
 * detection for every device of the partition.
 */
public final class OutputErrorHandler implements ProductionExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(OutputErrorHandler.class);

    /**
     * Optional config entry holding a {@link LongAdder} that every handler instance of the
     * application also counts into: Kafka Streams creates one handler per producer, the metrics want one total.
     */
    public static final String SHARED_COUNTER_CONFIG = "virtiofleet.output-errors.counter";

    private final AtomicLong dropped = new AtomicLong();
    private LongAdder shared = new LongAdder();

    @Override
    public void configure(Map<String, ?> configs) {
        if (configs.get(SHARED_COUNTER_CONFIG) instanceof LongAdder counter) {
            shared = counter;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof RetriableException) {
            return Response.retry();
        }
        return drop(record.topic(), exception);
    }

    @Override
    public Response handleSerializationError(ErrorHandlerContext context, @SuppressWarnings("rawtypes") ProducerRecord record,
            Exception exception, SerializationExceptionOrigin origin) {
        return drop(record.topic(), exception);
    }

    /** Output records dropped so far by this handler. */
    public long dropped() {
        return dropped.get();
    }

    private Response drop(String topic, Exception exception) {
        long count = dropped.incrementAndGet();
        shared.increment();
        LOG.error("dropping an output record to {} that cannot be produced ({} so far): {}", topic, count, exception.toString());
        return Response.resume();
    }
}
