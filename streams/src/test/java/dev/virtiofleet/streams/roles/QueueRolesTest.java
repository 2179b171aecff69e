package dev.virtiofleet.streams.roles;

import static dev.virtiofleet.avro.QueueRole.BUFFER_POOL;
import static dev.virtiofleet.avro.QueueRole.REQUEST;
import static dev.virtiofleet.avro.QueueRole.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.avro.QueueRole;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class QueueRolesTest {
    private static final FeatureSet NONE = FeatureSet.EMPTY;

    private static List<QueueRole> roles(int deviceId, int numVqs, FeatureSet host) {
        return IntStream.range(0, numVqs).mapToObj(q -> QueueRoles.roleOf(deviceId, q, numVqs, host)).toList();
    }

    @Test
    void virtioNetReceiveQueuesArePoolsTransmitAndControlAreRequests() {
        assertEquals(List.of(BUFFER_POOL, REQUEST, REQUEST), roles(1, 3, NONE), "rx0 tx0 ctrl, as in the transcripts");
        assertEquals(List.of(BUFFER_POOL, REQUEST, BUFFER_POOL, REQUEST, BUFFER_POOL, REQUEST, REQUEST), roles(1, 7, NONE),
                "three queue pairs and the control queue last");
    }

    @Test
    void blockAndRngAreAllRequests() {
        assertEquals(List.of(REQUEST, REQUEST, REQUEST, REQUEST), roles(2, 4, NONE));
        assertEquals(List.of(REQUEST), roles(4, 1, NONE));
    }

    @Test
    void scsiControlAndRequestQueuesAreRequestsTheEventQueueAPool() {
        assertEquals(List.of(REQUEST, BUFFER_POOL, REQUEST, REQUEST), roles(8, 4, NONE));
    }

    @Test
    void balloonStatsQueueIsAPoolAndInflateDeflateAreRequests() {
        assertEquals(List.of(REQUEST, REQUEST, BUFFER_POOL), roles(5, 3, NONE));
        FeatureSet hints = new FeatureSet(new LinkedHashSet<>(List.of("VIRTIO_BALLOON_F_FREE_PAGE_HINT")), 0, List.of());
        assertEquals(List.of(REQUEST, REQUEST, BUFFER_POOL, UNKNOWN, REQUEST), roles(5, 5, hints),
                "free-page hints are consumed only during migration; page reporting waits for the device");
    }

    @Test
    void consoleReceivesIntoPoolsAndTransmitsRequests() {
        assertEquals(List.of(BUFFER_POOL, REQUEST, BUFFER_POOL, REQUEST, BUFFER_POOL, REQUEST), roles(3, 6, NONE));
    }

    @Test
    void inputAndVsockEventQueuesArePools() {
        assertEquals(List.of(BUFFER_POOL, REQUEST), roles(18, 2, NONE));
        assertEquals(List.of(BUFFER_POOL, REQUEST, BUFFER_POOL), roles(19, 3, NONE));
    }

    @Test
    void unknownDeviceTypesAreJudgedConservatively() {
        assertEquals(List.of(UNKNOWN, UNKNOWN), roles(999, 2, NONE));
        assertEquals(List.of(UNKNOWN, UNKNOWN), roles(25, 2, NONE), "virtio-sound: roles not tabled");
    }
}
