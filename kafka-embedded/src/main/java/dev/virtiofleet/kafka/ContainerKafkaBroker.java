package dev.virtiofleet.kafka;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The official {@code apache/kafka} image through Testcontainers, for machines with a Docker
 * engine. An outage is a paused container: same address, same data, no connections answered.
 */
public final class ContainerKafkaBroker implements KafkaBroker {
    public static final String IMAGE = "apache/kafka:4.4.0";

    private final KafkaContainer container;

    private ContainerKafkaBroker(KafkaContainer container) {
        this.container = container;
    }

    /** Why no container can be used here, or empty when a Docker engine answers. */
    public static java.util.Optional<String> unavailableReason() {
        try {
            return DockerClientFactory.instance().isDockerAvailable()
                    ? java.util.Optional.empty()
                    : java.util.Optional.of("no Docker engine answers (Testcontainers found none)");
        } catch (RuntimeException | LinkageError e) {
            return java.util.Optional.of("Testcontainers cannot be used: " + e);
        }
    }

    public static ContainerKafkaBroker launch() {
        KafkaContainer container = new KafkaContainer(IMAGE);
        container.start();
        return new ContainerKafkaBroker(container);
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void stop() {
        container.getDockerClient().pauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public void start() {
        container.getDockerClient().unpauseContainerCmd(container.getContainerId()).exec();
    }

    @Override
    public String description() {
        return "Testcontainers " + IMAGE + " at " + bootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
