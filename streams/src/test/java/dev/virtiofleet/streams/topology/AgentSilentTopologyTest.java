package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.AlertState;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.testing.DetectionDriver;
import dev.virtiofleet.testing.FleetRecords;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Agent silent, on the application's wall clock: 3 poll intervals of 10 s by default. */
class AgentSilentTopologyTest {
    private static final Instant WALL = Instant.parse("2026-11-25T10:00:00Z");

    @TempDir
    Path stateDir;

    private static AgentHeartbeat heartbeatAt(Instant time) {
        return AgentHeartbeat.newBuilder(FleetRecords.heartbeat()).setEventTime(time).build();
    }

    @Test
    void anAgentQuietForThreePollIntervalsIsSilentUntilItsNextHeartbeat() {
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir, WALL)) {
            driver.heartbeat(heartbeatAt(WALL));
            driver.advanceWallClock(Duration.ofSeconds(10)).heartbeat(heartbeatAt(WALL.plusSeconds(10)));
            driver.advanceWallClock(Duration.ofSeconds(29));
            assertEquals(List.of(), driver.alerts(), "29 s since the last heartbeat");

            driver.advanceWallClock(Duration.ofSeconds(2));
            assertEquals(1, driver.alerts().size());
            VirtioAlert silent = driver.alerts().getFirst();
            assertEquals(AlertKind.AGENT_SILENT, silent.getKind());
            assertEquals("hv-0001.example", silent.getSubject().getHostId());
            assertNull(silent.getSubject().getDevicePath());
            assertEquals(WALL.plusSeconds(10), silent.getStartedAt(), "silent since the last heartbeat");

            driver.advanceWallClock(Duration.ofSeconds(60));
            assertEquals(1, driver.alerts().size(), "one FIRING per episode, however long it lasts");

            driver.heartbeat(heartbeatAt(WALL.plusSeconds(101)));
            assertEquals(List.of(AlertState.FIRING, AlertState.RESOLVED), driver.alerts().stream().map(VirtioAlert::getState).toList());
            assertEquals(silent.getAlertId(), driver.alerts().getLast().getAlertId());
        }
    }

    @Test
    void regularHeartbeatsKeepAnAgentAlive() {
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir, WALL)) {
            for (int n = 0; n < 30; n++) {
                driver.heartbeat(heartbeatAt(WALL.plusSeconds(10L * n))).advanceWallClock(Duration.ofSeconds(10));
            }
            assertEquals(List.of(), driver.alerts());
        }
    }

    @Test
    void aGapInTheApplicationsOwnJudgingBlamesNoAgentButSilenceAfterItStillCounts() {
        try (var driver = new DetectionDriver(DetectionConfig.defaults(), stateDir, WALL)) {
            driver.heartbeat(heartbeatAt(WALL)).advanceWallClock(Duration.ofSeconds(5));
            // The application stalls for 2 minutes (or restarts): its heartbeats wait in the topic.
            driver.jumpWallClock(Duration.ofMinutes(2));
            assertEquals(List.of(), driver.alerts(), "our own gap is not the agent's silence");

            driver.advanceWallClock(Duration.ofSeconds(29));
            assertEquals(List.of(), driver.alerts(), "29 s of judging since the gap");
            driver.advanceWallClock(Duration.ofSeconds(2));
            assertEquals(List.of(AlertKind.AGENT_SILENT), driver.alerts().stream().map(VirtioAlert::getKind).toList(),
                    "still no heartbeat 30 s into judging again: silent");
        }
    }
}
