package dev.virtiofleet.kafka;

/** A real Kafka broker a test or the demo talks to, which can be taken down and brought back. */
public interface KafkaBroker extends AutoCloseable {

    /** {@code host:port} for clients' {@code bootstrap.servers}. */
    String bootstrapServers();

    /** Makes the broker unreachable, keeping its data (a broker outage). */
    void stop();

    /** Brings the broker back at the same address with its data. */
    void start();

    /** Where the broker runs, for logs: "in-process KRaft" or "Testcontainers apache/kafka". */
    String description();

    @Override
    void close();
}
