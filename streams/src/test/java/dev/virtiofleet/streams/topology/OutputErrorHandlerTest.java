package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.junit.jupiter.api.Test;

class OutputErrorHandlerTest {
    private final OutputErrorHandler handler = new OutputErrorHandler();
    private final ProducerRecord<byte[], byte[]> record = new ProducerRecord<>("virtio.alerts", new byte[] {1}, new byte[] {2});

    @Test
    void transientTroubleIsRetriedAndNotCounted() {
        assertEquals(ProductionExceptionHandler.Result.RETRY,
                handler.handleError(null, record, new TimeoutException("broker slow")).result());
        assertEquals(0, handler.dropped());
    }

    @Test
    void aRecordThatCanNeverBeProducedIsCountedAndProcessingResumes() {
        assertEquals(ProductionExceptionHandler.Result.RESUME,
                handler.handleError(null, record, new RecordTooLargeException("2 MB")).result());
        assertEquals(ProductionExceptionHandler.Result.RESUME,
                handler.handleSerializationError(null, record, new SerializationException("bad"),
                        ProductionExceptionHandler.SerializationExceptionOrigin.VALUE).result());
        assertEquals(2, handler.dropped());
    }

    @Test
    void everyHandlerOfTheApplicationCountsIntoTheSharedCounter() {
        LongAdder total = new LongAdder();
        OutputErrorHandler first = new OutputErrorHandler();
        OutputErrorHandler second = new OutputErrorHandler();
        first.configure(Map.of(OutputErrorHandler.SHARED_COUNTER_CONFIG, total));
        second.configure(Map.of(OutputErrorHandler.SHARED_COUNTER_CONFIG, total));

        first.handleError(null, record, new RecordTooLargeException("2 MB"));
        second.handleError(null, record, new RecordTooLargeException("3 MB"));
        second.handleError(null, record, new TimeoutException("retried, not counted"));

        assertEquals(2, total.sum());
        assertEquals(1, second.dropped());
    }
}
