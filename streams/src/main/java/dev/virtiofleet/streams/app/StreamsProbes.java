package dev.virtiofleet.streams.app;

import dev.virtiofleet.streams.rest.Probes;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Probes from the Kafka Streams state. Rebalancing is alive but not ready (queries may miss
 * partitions); ERROR and PENDING_ERROR mean every stream thread died, which only a restart cures.
 */
final class StreamsProbes implements Probes {
    private final KafkaStreams streams;

    StreamsProbes(KafkaStreams streams) {
        this.streams = streams;
    }

    @Override
    public String state() {
        return streams.state().name();
    }

    @Override
    public boolean live() {
        KafkaStreams.State state = streams.state();
        return state != KafkaStreams.State.ERROR && state != KafkaStreams.State.PENDING_ERROR;
    }

    @Override
    public boolean ready() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }
}
