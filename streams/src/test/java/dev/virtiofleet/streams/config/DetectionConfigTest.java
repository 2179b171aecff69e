package dev.virtiofleet.streams.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.Severity;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DetectionConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        DetectionConfig config = DetectionConfig.defaults();
        RuleSettings stall = config.rule(AlertKind.QUEUE_STALLED);

        assertEquals(Duration.ofSeconds(30), stall.fireAfter("virtio-blk"));
        assertEquals(Duration.ofSeconds(120), stall.fireAfter("virtio-serial"));
        assertEquals(Duration.ofSeconds(120), stall.fireAfter("virtio-rng"));
        assertEquals(Duration.ofSeconds(30), stall.resolveAfter());
        assertEquals(Severity.CRITICAL, stall.severity());
        assertEquals(Duration.ZERO, config.rule(AlertKind.DEVICE_BROKEN).fireAfter("virtio-blk"));
        assertEquals(Set.of("VIRTIO_F_VERSION_1"), config.requiredFeatures());
        assertEquals(Duration.ofSeconds(60), config.deviceGoneAfter());
        assertEquals(Duration.ofMinutes(1), config.healthRefreshAfter());
    }

    @Test
    void keysOverrideDefaultsPerRuleAndPerDeviceModel() {
        DetectionConfig config = DetectionConfig.fromProperties(Map.of(
                "rules.queue-stalled.fire-after", "45s",
                "rules.queue-stalled.fire-after.virtio-blk", "PT2M",
                "rules.queue-stalled.resolve-after", "500ms",
                "rules.feature-violation.severity", "critical",
                "rules.vhost-desync.enabled", "false",
                "required-features", "VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX",
                "device-gone-after", "2m",
                "health-refresh-after", "0s"));

        RuleSettings stall = config.rule(AlertKind.QUEUE_STALLED);
        assertEquals(Duration.ofSeconds(45), stall.fireAfter("virtio-net"));
        assertEquals(Duration.ofMinutes(2), stall.fireAfter("virtio-blk"));
        assertEquals(Duration.ofMillis(500), stall.resolveAfter());
        assertEquals(Severity.CRITICAL, config.rule(AlertKind.FEATURE_VIOLATION).severity());
        assertFalse(config.rule(AlertKind.VHOST_DESYNC).enabled());
        assertTrue(config.rule(AlertKind.DEVICE_BROKEN).enabled());
        assertEquals(Set.of("VIRTIO_F_VERSION_1", "VIRTIO_RING_F_EVENT_IDX"), config.requiredFeatures());
        assertEquals(Duration.ofMinutes(2), config.deviceGoneAfter());
        assertEquals(Duration.ZERO, config.healthRefreshAfter(), "0s: every sample is published");
    }

    @Test
    void errorsNameTheKeyTheValueAndWhatIsAllowed() {
        assertError("rules.queue-stalled.fire-after", "soon", "duration");
        assertError("rules.queue-stalled.fire-after", "-5s", "not negative");
        assertError("rules.queue-stalls.fire-after", "30s", "queue-stalled");
        assertError("rules.device-broken.severity", "panic", "CRITICAL");
        assertError("rules.device-broken.enabled", "yes", "true or false");
        assertError("rules.device-broken.severity.virtio-blk", "INFO", "only fire-after");
        assertError("device-gone-after", "0s", "positive");
        assertError("health-refresh-after", "-1m", "not negative");
        assertError("health-refresh-after", "hourly", "duration");
        assertError("required-features", "version one", "feature symbols");
        assertError("thresholds.stall", "30s", "unknown key");
        assertError("rules.feature-drift.resolve-after", "1m", "feature-drift takes only [enabled, severity]");
        assertError("rules.agent-silent.resolve-after", "1m", "agent-silent takes only [enabled, fire-after, severity]");
    }

    private static void assertError(String key, String value, String allowedMentions) {
        ConfigException error = assertThrows(ConfigException.class, () -> DetectionConfig.fromProperties(Map.of(key, value)));
        assertTrue(error.getMessage().contains(key), error.getMessage());
        assertTrue(error.getMessage().contains(allowedMentions), error.getMessage());
    }
}
