package dev.virtiofleet.streams.bench;

import dev.virtiofleet.streams.app.StreamsAppConfig;
import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The benchmark's "skeleton": the least a Kafka Streams application built to the issue's
 * constraints must do per sample, with the detection application's own Kafka Streams settings
 * ({@link dev.virtiofleet.streams.topology.StreamsSettings#toProperties}: exactly-once v2, commit
 * interval, batch sizes, timestamp extractor, handlers) on the same samples topic, so the same
 * partitions and one task each. Per sample it reads the record (key as the app's String key, the
 * value left as bytes: no decode at all, cheaper than the app's own reader), gets the device's
 * state from a RocksDB store with a changelog, and puts back a value of the app's average state
 * size. No rules, no outputs, no punctuation: whatever the app spends above this is its own.
 */
final class DesignMinimum {
    /** The device store's mean value size per device ({@code state-size}; BENCHMARKS.md, first pass). */
    static final int STATE_BYTES = 380;
    private static final String STORE = "skeleton-state";

    private DesignMinimum() {}

    static KafkaStreams streams(StreamsAppConfig config) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.ByteArray()));
        builder.stream(config.topics().samples(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("samples"))
                .process(GetAndPut::new, Named.as("skeleton"), STORE);
        return new KafkaStreams(builder.build(), config.streams().toProperties(config.topics()));
    }

    /** One get and one put per sample; the put's value changes with the sample, as the app's does. */
    private static final class GetAndPut implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(STORE);
        }

        @Override
        public void process(Record<String, byte[]> sample) {
            byte[] previous = store.get(sample.key());
            byte[] next = previous == null ? new byte[STATE_BYTES] : previous.clone();
            ByteBuffer.wrap(next).putLong(0, sample.timestamp());
            store.put(sample.key(), next);
        }
    }
}
