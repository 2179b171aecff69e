package dev.virtiofleet.streams.app;

import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.query.FleetQueries;
import dev.virtiofleet.streams.query.FleetStores;
import dev.virtiofleet.streams.rest.Peers;
import dev.virtiofleet.streams.metrics.StreamsMetrics;
import dev.virtiofleet.streams.metrics.StreamsRuntimeMetrics;
import dev.virtiofleet.streams.rest.RestServer;
import dev.virtiofleet.streams.topology.OutputErrorHandler;
import dev.virtiofleet.streams.topology.DetectionTopology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The detection application: the topology running in Kafka Streams, its REST API, metrics and
 * probes, started and stopped as one.
 */
public final class DetectionApplication implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionApplication.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaStreams streams;
    private final FleetQueries queries;
    private final StreamsMetrics metrics;
    private final RestServer rest;

    /** @throws UncheckedIOException when the REST address cannot be bound */
    public DetectionApplication(StreamsAppConfig config) {
        LongAdder outputErrors = new LongAdder();
        Properties props = config.streams().toProperties(config.topics());
        props.put(OutputErrorHandler.SHARED_COUNTER_CONFIG, outputErrors);
        this.streams = new KafkaStreams(
                DetectionTopology.build(config.detection(), config.topics(), FleetSerdes.singleObject()), props);
        this.queries = new FleetQueries(new FleetStores(new FleetStores.Lookup() {
            @Override
            public <V> ReadOnlyKeyValueStore<String, V> store(String name) {
                return streams.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, V>keyValueStore()));
            }
        }));
        Peers peers = config.streams().advertisedRest()
                .<Peers>map(address -> new StreamsPeers(streams, HostInfo.buildFromEndpoint(address)))
                .orElse(Peers.none());
        this.metrics = new StreamsMetrics(queries, config.queueSeriesLimit());
        StreamsRuntimeMetrics.register(metrics.meter(), streams::state, streams::metrics, outputErrors::sum);
        try {
            this.rest = new RestServer(config.restListen(), queries, peers, metrics.handler(), new StreamsProbes(streams));
        } catch (IOException e) {
            metrics.close();
            streams.close();
            throw new UncheckedIOException("cannot serve REST on " + config.restListen() + ": " + e.getMessage(), e);
        }
        // A bug that escapes the processing exception handler costs a thread restart, not the application.
        streams.setUncaughtExceptionHandler(exception -> {
            LOG.error("stream thread failed; replacing it", exception);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
    }

    public void start() {
        streams.start();
        rest.start();
    }

    /** Queries over this instance's stores, e.g. for {@link dev.virtiofleet.streams.metrics.FleetMetrics}. */
    public FleetQueries queries() {
        return queries;
    }

    /** The port the REST API listens on. */
    public int restPort() {
        return rest.port();
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Stops processing after committing what is done. The instance leaves its group, so its
     * partitions move to the remaining instances at once rather than after a session timeout.
     */
    @Override
    public void close() {
        rest.close();
        streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(CLOSE_TIMEOUT));
        metrics.close();
    }
}
