package dev.virtiofleet.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(KafkaBrokerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KafkaBrokerExtensionTest {
    private static String firstAddress;

    @Test
    @Order(1)
    void injectsARunningBroker(KafkaBroker broker) throws Exception {
        firstAddress = broker.bootstrapServers();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("shared-by-the-class", 2, (short) 1))).all().get();
        }
    }

    @Test
    @Order(2)
    void theClassSharesOneBroker(KafkaBroker broker) throws Exception {
        assertEquals(firstAddress, broker.bootstrapServers());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
            Set<String> topics = admin.listTopics().names().get();
            assertTrue(topics.contains("shared-by-the-class"), topics.toString());
        }
    }
}
