package dev.virtiofleet.sim.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TrafficTest {
    @Test
    void countsDoNotDependOnHowOftenTheyAreTaken() {
        Traffic steady = Traffic.steady(333.3);
        long inSteps = 0;
        for (int ms = 0; ms < 10_000; ms += 7) {
            inSteps += steady.between(Duration.ofMillis(ms), Duration.ofMillis(Math.min(ms + 7, 10_000)));
        }
        assertEquals(steady.totalAfter(Duration.ofSeconds(10)), inSteps);
        assertEquals(3333, inSteps);
    }

    @Test
    void burstyIsActiveOnlyDuringItsBursts() {
        Traffic bursty = Traffic.bursty(1000, Duration.ofSeconds(10), Duration.ofSeconds(2));
        assertEquals(2000, bursty.between(Duration.ZERO, Duration.ofSeconds(10)));
        assertEquals(0, bursty.between(Duration.ofSeconds(3), Duration.ofSeconds(10)));
        assertEquals(1000, bursty.between(Duration.ofSeconds(10), Duration.ofSeconds(11)));
    }

    @Test
    void diurnalPeaksMidPeriodAndAveragesHalfThePeak() {
        Traffic day = Traffic.diurnal(100, Duration.ofHours(24));
        long night = day.between(Duration.ZERO, Duration.ofHours(1));
        long noon = day.between(Duration.ofHours(12), Duration.ofHours(13));
        assertTrue(noon > 50 * night, "night " + night + ", noon " + noon);
        assertEquals(50 * 86_400, day.totalAfter(Duration.ofHours(24)), 1);
    }

    @Test
    void idleNeverMoves() {
        assertEquals(0, Traffic.IDLE.totalAfter(Duration.ofDays(365)));
    }

    @Test
    void badRatesAreRejectedByName() {
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class, () -> Traffic.steady(-1));
        assertTrue(negative.getMessage().contains("perSecond"), negative.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Traffic.steady(Double.NaN));
        assertThrows(IllegalArgumentException.class,
                () -> Traffic.bursty(10, Duration.ofSeconds(1), Duration.ofSeconds(2)));
    }
}
