package dev.virtiofleet.streams.app;

import dev.virtiofleet.streams.rest.Peers;
import java.net.URI;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;

/** The other instances of the application, as Kafka Streams knows them from their {@code application.server}. */
final class StreamsPeers implements Peers {
    private final KafkaStreams streams;
    private final HostInfo self;

    StreamsPeers(KafkaStreams streams, HostInfo self) {
        this.streams = streams;
        this.self = self;
    }

    @Override
    public List<URI> others() {
        return streams.metadataForAllStreamsClients().stream()
                .map(StreamsMetadata::hostInfo)
                .filter(host -> !host.equals(self))
                .map(host -> URI.create("http://" + host.host() + ":" + host.port() + "/"))
                .toList();
    }
}
