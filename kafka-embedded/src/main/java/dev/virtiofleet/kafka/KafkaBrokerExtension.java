package dev.virtiofleet.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class one real Kafka broker, injected as a {@link KafkaBroker} parameter: the
 * official image through Testcontainers when a Docker engine answers, otherwise the in-process
 * KRaft broker, so the same tests run on a laptop and in CI. Which one, and why, is printed. The
 * broker and its data go away when the class is done.
 *
 * <p>{@code -Dvirtiofleet.kafka=embedded} or {@code =container} forces one (a forced container
 * with no Docker fails instead of falling back).
 */
public final class KafkaBrokerExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KafkaBrokerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == KafkaBroker.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        ExtensionContext classContext = classContext(context);
        return classContext.getStore(NAMESPACE)
                .computeIfAbsent("broker", key -> new ClosableBroker(startBroker(classContext.getDisplayName())), ClosableBroker.class)
                .broker();
    }

    private static ExtensionContext classContext(ExtensionContext context) {
        ExtensionContext current = context;
        while (current.getTestMethod().isPresent() && current.getParent().isPresent()) {
            current = current.getParent().get();
        }
        return current;
    }

    private static KafkaBroker startBroker(String testClass) {
        String forced = System.getProperty("virtiofleet.kafka", "auto");
        Optional<String> noContainer = forced.equals("embedded") ? Optional.of("forced by -Dvirtiofleet.kafka=embedded")
                : ContainerKafkaBroker.unavailableReason();
        if (noContainer.isEmpty()) {
            KafkaBroker broker = ContainerKafkaBroker.launch();
            System.out.println("[kafka] " + testClass + ": " + broker.description());
            return broker;
        }
        if (forced.equals("container")) {
            throw new IllegalStateException("-Dvirtiofleet.kafka=container but " + noContainer.get());
        }
        System.out.println("[kafka] " + testClass + ": Testcontainers Kafka skipped (" + noContainer.get()
                + "); using the in-process KRaft broker");
        try {
            Path dataDir = Files.createTempDirectory("virtio-fleet-kafka-");
            return new DeletingBroker(EmbeddedKafkaBroker.launch(dataDir), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Lets JUnit close the broker with the class's store. */
    private record ClosableBroker(KafkaBroker broker) implements AutoCloseable {
        @Override
        public void close() {
            broker.close();
        }
    }

    /** The in-process broker plus the temp dir it lives in, removed on close. */
    private record DeletingBroker(EmbeddedKafkaBroker delegate, Path dataDir) implements KafkaBroker {
        @Override
        public String bootstrapServers() {
            return delegate.bootstrapServers();
        }

        @Override
        public void stop() {
            delegate.stop();
        }

        @Override
        public void start() {
            delegate.start();
        }

        @Override
        public String description() {
            return delegate.description();
        }

        @Override
        public void close() {
            delegate.close();
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot delete broker data " + dataDir, e);
            }
        }
    }
}
