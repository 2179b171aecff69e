package dev.virtiofleet.streams.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RingIndexTest {

    @Test
    void distanceCountsForwardAcrossTheWrap() {
        assertEquals(3, RingIndex.distance(10, 13));
        assertEquals(6, RingIndex.distance(65_533, 3), "65533 -> 65535 -> 0 -> 3");
        assertEquals(1, RingIndex.distance(65_535, 0));
        assertEquals(0, RingIndex.distance(4801, 4801));
        assertEquals(65_535, RingIndex.distance(1, 0), "one behind is almost a full lap ahead");
    }

    @Test
    void aheadMeansWithinOneQueueOfEntries() {
        assertTrue(RingIndex.isAhead(6210, 6209, 256));
        assertTrue(RingIndex.isAhead(2, 65_534, 256), "ahead across the wrap");
        assertFalse(RingIndex.isAhead(6209, 6209, 256), "equal is not ahead");
        assertFalse(RingIndex.isAhead(36, 48, 256), "behind is not ahead");
        assertFalse(RingIndex.isAhead(300, 0, 256), "further ahead than the ring holds: readings from different moments");
        assertTrue(RingIndex.isAhead(256, 0, 256));
    }

    @Test
    void validIndicesAreSixteenBits() {
        assertTrue(RingIndex.isValid(0));
        assertTrue(RingIndex.isValid(65_535));
        assertFalse(RingIndex.isValid(65_536));
        assertFalse(RingIndex.isValid(-1));
    }
}
