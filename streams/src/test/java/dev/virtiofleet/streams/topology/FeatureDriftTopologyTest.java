package dev.virtiofleet.streams.topology;

import static dev.virtiofleet.streams.testing.Samples.HUNG;
import static dev.virtiofleet.streams.testing.Samples.MRG_RXBUF_OFF;
import static dev.virtiofleet.streams.testing.Samples.NET;
import static dev.virtiofleet.streams.testing.Samples.RUNNING;
import static dev.virtiofleet.streams.testing.Samples.poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.CommandErrorKind;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.topics.DeviceKey;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Feature drift: the mrg_rxbuf=off virtio-net next to default ones in one group. */
class FeatureDriftTopologyTest {
    @TempDir
    Path stateDir;

    private static VirtioSample vm(VirtioSample sample, String host, String uuid) {
        return VirtioSample.newBuilder(sample).setHostId(host).setVmUuid(uuid).setVmName(uuid).build();
    }

    private static final VirtioSample DEFAULT_A = vm(Samples.of(RUNNING, NET, false), "rack-1.hv-01", "vm-a");
    private static final VirtioSample DEFAULT_B = vm(Samples.of(HUNG, NET, false), "rack-1.hv-02", "vm-b");
    private static final VirtioSample MRG_OFF_C = vm(Samples.of(MRG_RXBUF_OFF, NET, false), "rack-1.hv-03", "vm-c");

    @Test
    void theDeviceThatDiffersFromItsGroupDriftsUntilItMatchesAgain() {
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir)) {
            driver.pipe(poll(DEFAULT_A, 0)).pipe(poll(DEFAULT_B, 0)).pipe(poll(MRG_OFF_C, 0));
            // repeated samples with unchanged features are not reported again and change nothing
            driver.pipe(poll(DEFAULT_A, 1)).pipe(poll(DEFAULT_B, 1)).pipe(poll(MRG_OFF_C, 1));

            assertEquals(1, driver.alerts().size(), driver.alerts().toString());
            VirtioAlert drift = driver.alerts().getFirst();
            assertEquals(AlertKind.FEATURE_DRIFT, drift.getKind());
            assertEquals(AlertState.FIRING, drift.getState());
            assertEquals("vm-c", drift.getSubject().getVmUuid());
            assertEquals("fleet", drift.getSubject().getGroup());
            Map<String, String> details = drift.getEvidence().getFirst().getDetails();
            assertTrue(details.get("lacks-from-group").contains("VIRTIO_NET_F_MRG_RXBUF"), details.toString());
            assertEquals(3L, drift.getEvidence().getFirst().getValues().get("group-devices"));
            assertEquals(2L, drift.getEvidence().getFirst().getValues().get("prevailing-devices"));

            VirtioSample reconfigured = vm(Samples.of(RUNNING, NET, false), "rack-1.hv-03", "vm-c");
            driver.pipe(poll(reconfigured, 2));

            assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
            assertEquals(drift.getAlertId(), driver.alerts().getLast().getAlertId());
        }
    }

    @Test
    void aDriftingDeviceThatLeavesResolvesAndATieHasNoOddOneOut() {
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir)) {
            driver.pipe(poll(DEFAULT_A, 0)).pipe(poll(MRG_OFF_C, 0));
            assertEquals(List.of(), driver.alerts(), "one against one: no prevailing set");

            driver.pipe(poll(DEFAULT_B, 0));
            assertEquals(1, driver.alerts(AlertState.FIRING).size(), "the third device decides");

            VirtioSample unplugged = VirtioSample.newBuilder(poll(MRG_OFF_C, 1)).setStatus(null).setQueues(List.of())
                    .setErrors(List.of(new CommandError("x-query-virtio-status", null, CommandErrorKind.NOT_A_VIRTIO_DEVICE,
                            "GenericError", "Path " + NET + " is not a VirtIODevice")))
                    .build();
            driver.pipe(unplugged);
            assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
            assertEquals("vm-c", driver.alerts().getLast().getSubject().getVmUuid());
            assertTrue(driver.alerts().getLast().getEvidence().getLast().getObservation().contains("left the group"));
        }
    }

    @Test
    void devicesInDifferentGroupsAreNotCompared() {
        DetectionConfig byRack = DetectionConfig.fromProperties(Map.of("group-pattern", "^(rack-\\d+)\\."));
        VirtioSample otherRack = vm(Samples.of(MRG_RXBUF_OFF, NET, false), "rack-2.hv-01", "vm-c");
        try (var driver = new DetectionDriver(byRack, stateDir)) {
            driver.pipe(poll(DEFAULT_A, 0)).pipe(poll(DEFAULT_B, 0)).pipe(poll(otherRack, 0));

            assertEquals(List.of(), driver.alerts());
            assertEquals("rack-2", driver.latestHealth(DeviceKey.of(otherRack).asString()).getGroup());
        }
    }
}
