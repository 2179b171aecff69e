package dev.virtiofleet.qapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.testing.JsonShape;
import dev.virtiofleet.testing.RawQmp;
import dev.virtiofleet.qemu.RealQemuGuest;
import dev.virtiofleet.testing.Transcript;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The contract against a live QEMU: boots a real Linux guest under real QEMU 7.2 with the
 * transcripts' device set, replays every command of the running-guest transcript, and checks that
 * each reply decodes into our records and has the transcript's shape, with equal values where
 * they do not depend on timing (device identity, features, status, queue geometry, errors).
 */
class RealQemuConformanceTest {
    private static final Transcript RUNNING = Transcript.named("qemu-7.2-linux-6.1-guest-running.txt");
    /** Members whose values depend only on QEMU, the device options and the guest driver. */
    private static final List<String> STABLE_STATUS_MEMBERS = List.of(
            "name", "device-id", "num-vqs", "host-features", "guest-features", "backend-features", "status",
            "device-endian", "vhost-started", "broken", "disabled", "started", "use-started", "bus-name", "vm-running");
    private static final List<String> STABLE_QUEUE_MEMBERS = List.of(
            "name", "queue-index", "vring-num", "vring-num-default", "vring-align");

    private static RealQemuGuest guest;

    @BeforeAll
    static void bootGuest() throws Exception {
        Optional<String> reason = RealQemuGuest.unavailableReason();
        reason.ifPresent(r -> System.out.println("[qemu] RealQemuConformanceTest skipped: " + r));
        Assumptions.assumeTrue(reason.isEmpty(), () -> "no real QEMU: " + reason.orElse(""));
        guest = RealQemuGuest.boot();
    }

    @AfterAll
    static void stopGuest() throws Exception {
        if (guest != null) {
            guest.close();
        }
    }

    @Test
    void everyTranscriptCommandGetsAnEquivalentReplyFromRealQemu() throws Exception {
        QapiReader reader = new QapiReader();
        List<String> problems = new ArrayList<>();
        int replayed = 0;
        try (RawQmp qmp = RawQmp.connect(guest.qmpSocket())) {
            assertEquals(RUNNING.greeting().path("QMP").path("version"), qmp.greeting().path("QMP").path("version"),
                    "the live QEMU is the transcripts' QEMU");
            for (Transcript.Exchange exchange : RUNNING.exchanges()) {
                if (exchange.execute().equals("qmp_capabilities")) {
                    continue;
                }
                JsonNode expected = exchange.response();
                JsonNode actual = qmp.execute(exchange.command());
                replayed++;
                String where = "line " + exchange.lineNumber() + " " + exchange.command() + ": ";
                if (expected.has("error")) {
                    if (!expected.get("error").equals(actual.get("error"))) {
                        problems.add(where + "expected error " + expected.get("error") + ", got " + actual);
                    }
                    continue;
                }
                JsonNode reply = actual.get("return");
                JsonNode expectedReply = expected.get("return");
                if (reply == null) {
                    problems.add(where + "expected a return value, got " + actual);
                    continue;
                }
                problems.addAll(decodeProblems(reader, exchange.execute(), reply).stream().map(p -> where + p).toList());
                switch (exchange.execute()) {
                    case QapiReader.X_QUERY_VIRTIO -> {
                        if (!asSet(expectedReply).equals(asSet(reply))) {
                            problems.add(where + "device list " + reply + " differs from " + expectedReply);
                        }
                    }
                    case QapiReader.X_QUERY_VIRTIO_STATUS -> compareMembers(where, expectedReply, reply, STABLE_STATUS_MEMBERS, problems);
                    case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS -> compareMembers(where, expectedReply, reply, STABLE_QUEUE_MEMBERS, problems);
                    default -> JsonShape.differences(expectedReply, reply).forEach(d -> problems.add(where + d));
                }
            }
        }
        assertTrue(replayed > 150, "replayed only " + replayed + " commands");
        assertEquals(List.of(), problems.stream().limit(25).toList(), problems.size() + " differences in all");
    }

    @Test
    void aHungDiskBackendFreezesTheRequestQueueAsInTheTranscript() throws Exception {
        QapiReader reader = new QapiReader();
        try (RawQmp qmp = RawQmp.connect(guest.qmpSocket())) {
            VirtQueueStatus before = blkQueue(qmp, reader);
            VirtQueueStatus moving = awaitChange(qmp, reader, before);
            assertTrue(moving.usedIdx() != before.usedIdx(), "a healthy guest's disk queue makes progress");

            guest.pauseDiskBackend();
            try {
                Thread.sleep(3000); // the guest's next read is now stuck in the backend
                VirtQueueStatus hung = blkQueue(qmp, reader);
                Thread.sleep(2000);
                VirtQueueStatus stillHung = blkQueue(qmp, reader);
                // The shape of qemu-7.2-virtio-blk-backend-hung.txt: work taken, never returned.
                assertTrue(hung.inuse() > 0, "requests in flight: " + hung);
                assertEquals(hung.usedIdx(), stillHung.usedIdx(), "used-idx frozen");
                assertEquals(hung.inuse(), stillHung.inuse(), "nothing completes");
                assertEquals((hung.usedIdx() + hung.inuse()) & 0xFFFF, (long) hung.lastAvailIdx().orElseThrow(),
                        "last-avail-idx is ahead of used-idx by what is in use");
            } finally {
                guest.resumeDiskBackend();
            }
            VirtQueueStatus released = awaitChange(qmp, reader, blkQueue(qmp, reader));
            assertTrue(released.usedIdx() != before.usedIdx(), "progress resumes once the backend runs");
        }
    }

    private static VirtQueueStatus awaitChange(RawQmp qmp, QapiReader reader, VirtQueueStatus from) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            VirtQueueStatus now = blkQueue(qmp, reader);
            if (now.usedIdx() != from.usedIdx()) {
                return now;
            }
            Thread.sleep(250);
        }
        return from;
    }

    private static VirtQueueStatus blkQueue(RawQmp qmp, QapiReader reader) throws Exception {
        JsonNode reply = qmp.execute(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"execute\": \"x-query-virtio-queue-status\", \"arguments\": "
                        + "{\"path\": \"/machine/peripheral/blk0/virtio-backend\", \"queue\": 0}}"));
        return reader.queueStatus(reply.get("return"));
    }

    private static void compareMembers(String where, JsonNode expected, JsonNode actual, List<String> members, List<String> problems) {
        JsonShape.differences(expected, actual).forEach(d -> problems.add(where + d));
        for (String member : members) {
            if (!expected.path(member).equals(actual.path(member))) {
                problems.add(where + member + " is " + actual.path(member) + ", transcript has " + expected.path(member));
            }
        }
    }

    private static List<String> decodeProblems(QapiReader reader, String command, JsonNode reply) {
        try {
            switch (command) {
                case QapiReader.X_QUERY_VIRTIO -> reader.virtioDevices(reply);
                case QapiReader.X_QUERY_VIRTIO_STATUS -> reader.virtioStatus(reply);
                case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS -> reader.queueStatus(reply);
                case QapiReader.X_QUERY_VIRTIO_VHOST_QUEUE_STATUS -> reader.vhostQueueStatus(reply);
                case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT -> reader.queueElement(reply);
                default -> { }
            }
            return List.of();
        } catch (QapiDecodeException e) {
            return List.of("does not decode: " + e.getMessage());
        }
    }

    private static Set<JsonNode> asSet(JsonNode array) {
        Set<JsonNode> set = new HashSet<>();
        array.forEach(set::add);
        return set;
    }
}
