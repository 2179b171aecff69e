package dev.virtiofleet.qapi.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FeatureSetTest {

    @Test
    void symbolIsTheIdentifierBeforeTheColon() {
        assertEquals(Optional.of("VIRTIO_F_VERSION_1"), FeatureSet.symbolOf("VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)"));
        assertEquals(Optional.of("VIRTIO_NET_F_MAC"), FeatureSet.symbolOf("VIRTIO_NET_F_MAC"));
        assertEquals(Optional.empty(), FeatureSet.symbolOf(": no name"));
        assertEquals(Optional.empty(), FeatureSet.symbolOf("two words: x"));
        assertEquals(Optional.empty(), FeatureSet.symbolOf(null));
    }

    @Test
    void parseKeepsOrderAndSetsAsideWhatItCannotRead() {
        FeatureSet set = FeatureSet.parse(1L << 40,
                List.of("VIRTIO_RING_F_EVENT_IDX: Used & avail. event fields enabled", "bogus entry"),
                List.of("VIRTIO_BLK_F_FLUSH: Flush command supported"));
        assertEquals(List.of("VIRTIO_RING_F_EVENT_IDX", "VIRTIO_BLK_F_FLUSH"), List.copyOf(set.symbols()));
        assertEquals(List.of("bogus entry"), set.unparseable());
        assertEquals(1L << 40, set.unknownBits());
    }

    @Test
    void subsetConsidersUnknownBitsToo() {
        FeatureSet host = FeatureSet.parse(1L << 40, List.of("A", "B"));
        FeatureSet guest = FeatureSet.parse(0, List.of("A"));
        assertTrue(guest.isSubsetOf(host));
        assertFalse(host.isSubsetOf(guest));

        FeatureSet guestWithUnknownBit = FeatureSet.parse(1L << 41, List.of("A"));
        assertFalse(guestWithUnknownBit.isSubsetOf(host), "an unknown bit the host never offered is a violation");
        assertEquals(1L << 41, guestWithUnknownBit.minus(host).unknownBits());
    }

    @Test
    void minusListsTheExtraSymbols() {
        FeatureSet guest = FeatureSet.parse(0, List.of("A", "C", "D"));
        FeatureSet host = FeatureSet.parse(0, List.of("A", "B"));
        assertEquals(List.of("C", "D"), List.copyOf(guest.minus(host).symbols()));
    }
}
