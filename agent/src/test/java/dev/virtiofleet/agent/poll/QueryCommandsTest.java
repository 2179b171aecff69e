package dev.virtiofleet.agent.poll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.virtiofleet.agent.qmp.QmpCommand;
import dev.virtiofleet.qapi.QapiReader;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueryCommandsTest {
    private static final String SERIAL = "/machine/peripheral-anon/device[2]/virtio-backend";

    @Test
    void eachQueryIsTheCommandItNamesAndIsMadeOnce() {
        QueryCommands queries = new QueryCommands();
        for (int queue : new int[] {0, 63, 5, 63}) {
            for (String command : new String[] {QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS,
                    QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT}) {
                QmpCommand made = queries.queue(command, SERIAL, queue);
                assertEquals(QmpCommand.forQueue(command, SERIAL, queue), made);
                assertSame(made, queries.queue(command, SERIAL, queue), "reused, not made again");
            }
        }
        assertEquals(QmpCommand.forDevice(QapiReader.X_QUERY_VIRTIO_STATUS, SERIAL), queries.status(SERIAL));
        assertSame(queries.status(SERIAL), queries.status(SERIAL));
        assertThrows(IllegalArgumentException.class, () -> queries.queue(QapiReader.X_QUERY_VIRTIO_STATUS, SERIAL, 0));
    }

    @Test
    void aDeviceNoLongerListedIsForgotten() {
        QueryCommands queries = new QueryCommands();
        QmpCommand before = queries.queue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, SERIAL, 1);
        QmpCommand kept = queries.status("/machine/peripheral/blk0/virtio-backend");
        queries.retainOnly(Set.of("/machine/peripheral/blk0/virtio-backend"));
        assertNotSame(before, queries.queue(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, SERIAL, 1));
        assertSame(kept, queries.status("/machine/peripheral/blk0/virtio-backend"));
    }
}
