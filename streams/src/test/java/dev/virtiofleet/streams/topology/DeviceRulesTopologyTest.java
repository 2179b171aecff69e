package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.BLK;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.editStatus;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static dev.virtiofleet.streams.testing.Samples.repeated;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.Severity;
import dev.virtiofleet.avro.VhostDeviceProtocols;
import dev.virtiofleet.avro.VhostStatus;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioDeviceFeatures;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Device broken, feature violation, vhost desync and negotiation degraded on the running-guest virtio-blk. */
class DeviceRulesTopologyTest {
    private static final VirtioSample BLK_OK = Samples.of(RUNNING, BLK, false);

    @TempDir
    Path stateDir;
    private DetectionDriver driver;

    @BeforeEach
    void start() {
        driver = new DetectionDriver(DetectionConfig.defaults(), stateDir);
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"broken-flag", "VIRTIO_CONFIG_S_NEEDS_RESET", "VIRTIO_CONFIG_S_FAILED"})
    void deviceBrokenFiresOnTheFirstSampleAndResolvesAfterTheHoldDown(String how) {
        VirtioSample broken = how.equals("broken-flag")
                ? editStatus(BLK_OK, s -> s.setBroken(true))
                : Samples.statuses(BLK_OK, "VIRTIO_CONFIG_S_ACKNOWLEDGE", "VIRTIO_CONFIG_S_DRIVER",
                        "VIRTIO_CONFIG_S_FEATURES_OK", "VIRTIO_CONFIG_S_DRIVER_OK", how);
        driver.pipe(poll(BLK_OK, 0)).pipe(poll(broken, 1)).pipe(poll(broken, 2));

        assertEquals(1, driver.alerts().size());
        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertKind.DEVICE_BROKEN, firing.getKind());
        assertEquals(Severity.CRITICAL, firing.getSeverity());
        assertEquals(null, firing.getSubject().getQueueIndex());
        assertEquals(Samples.T0.plusSeconds(10), firing.getStartedAt());

        driver.pipeAll(repeated(BLK_OK, 3, 4));
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states());
    }

    @Test
    void featureViolationNamesTheSymbolsAndUnknownBitsTheHostNeverOffered() {
        VirtioSample violating = editStatus(BLK_OK, s -> s.setGuestFeatures(features(s.getGuestFeatures(), f -> {
            List<String> dev = new ArrayList<>(f.getDevFeatures());
            dev.add("VIRTIO_BLK_F_RO");
            return f.setDevFeatures(dev).setUnknownDevFeatures(f.getUnknownDevFeatures() | (1L << 50));
        })));
        driver.pipe(poll(violating, 0));

        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertKind.FEATURE_VIOLATION, firing.getKind());
        Map<String, String> details = firing.getEvidence().getFirst().getDetails();
        assertEquals("VIRTIO_BLK_F_RO", details.get("guest-not-offered"));
        assertEquals("0x4000000000000", details.get("guest-not-offered-unknown-bits"));

        driver.pipeAll(repeated(BLK_OK, 1, 4));
        assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), states());
    }

    @Test
    void vhostDesyncFiresWhenTheBackendWasAckedWhatTheGuestWasNot() {
        VirtioSample desync = withVhost(BLK_OK, acked -> {
            List<String> transports = new ArrayList<>(acked.getTransports());
            transports.add("VIRTIO_F_ANY_LAYOUT");
            return acked.setTransports(transports);
        });
        driver.pipe(poll(desync, 0));

        assertEquals(List.of(AlertKind.VHOST_DESYNC), driver.alerts().stream().map(VirtioAlert::getKind).toList());
        assertEquals("VIRTIO_F_ANY_LAYOUT", driver.alerts().getFirst().getEvidence().getFirst().getDetails().get("vhost-acked-not-guest"));
    }

    @Test
    void vhostBackendFeaturesAndProtocolBitsInAckedFeaturesAreNoDesync() {
        VirtioSample inSync = withVhost(BLK_OK, acked -> {
            List<String> dev = new ArrayList<>(acked.getDevFeatures());
            dev.add("VHOST_USER_F_PROTOCOL_FEATURES");
            dev.add("VHOST_F_LOG_ALL");
            return acked.setDevFeatures(dev);
        });
        driver.pipeAll(repeated(inSync, 0, 10));

        assertEquals(List.of(), driver.alerts());
    }

    @Test
    void negotiationDegradedFiresForALegacyDriverWithoutVersion1() {
        VirtioSample legacy = editStatus(BLK_OK, s -> s.setGuestFeatures(features(s.getGuestFeatures(), f ->
                f.setTransports(f.getTransports().stream().filter(t -> !t.equals("VIRTIO_F_VERSION_1")).toList()))));
        driver.pipe(poll(legacy, 0));

        VirtioAlert firing = driver.alerts().getFirst();
        assertEquals(AlertKind.NEGOTIATION_DEGRADED, firing.getKind());
        assertEquals(Severity.WARNING, firing.getSeverity());
        assertEquals("VIRTIO_F_VERSION_1", firing.getEvidence().getFirst().getDetails().get("missing"));
        assertEquals("", firing.getEvidence().getFirst().getDetails().get("not-offered-by-device"));
    }

    @Test
    void aDeviceStillNegotiatingIsNotDegraded() {
        VirtioSample negotiating = Samples.statuses(editStatus(BLK_OK, s -> s.setGuestFeatures(features(s.getGuestFeatures(),
                f -> f.setTransports(List.of())))), "VIRTIO_CONFIG_S_ACKNOWLEDGE", "VIRTIO_CONFIG_S_DRIVER");
        driver.pipeAll(repeated(negotiating, 0, 5));

        assertTrue(driver.alerts().isEmpty());
    }

    private List<AlertState> states() {
        return driver.alerts().stream().map(VirtioAlert::getState).toList();
    }

    private static VirtioDeviceFeatures features(VirtioDeviceFeatures base, UnaryOperator<VirtioDeviceFeatures.Builder> edit) {
        return edit.apply(VirtioDeviceFeatures.newBuilder(base)).build();
    }

    /** The device with a started vhost backend whose acked features are the guest's, edited. */
    private static VirtioSample withVhost(VirtioSample sample, UnaryOperator<VirtioDeviceFeatures.Builder> ackedEdit) {
        return editStatus(sample, s -> s.setVhostStarted(true).setVhostDev(VhostStatus.newBuilder()
                .setNMemSections(4).setNTmpSections(4).setNvqs(1).setVqIndex(0)
                .setFeatures(s.getHostFeatures())
                .setAckedFeatures(features(s.getGuestFeatures(), ackedEdit))
                .setBackendFeatures(VirtioDeviceFeatures.newBuilder().setTransports(List.of()).setDevFeatures(List.of()).build())
                .setProtocolFeatures(VhostDeviceProtocols.newBuilder().setProtocols(List.of("VHOST_USER_PROTOCOL_F_MQ")).build())
                .setMaxQueues(1).setBackendCap(0).setLogEnabled(false).setLogSize(0)
                .build()));
    }
}
