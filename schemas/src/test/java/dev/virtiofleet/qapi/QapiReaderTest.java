package dev.virtiofleet.qapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.testing.Transcript;
import java.math.BigInteger;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the reader treats replies that differ from the happy path: errors, evolution, encodings. */
class QapiReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Transcript HUNG = Transcript.named("qemu-7.2-virtio-blk-backend-hung.txt");

    private final QapiReader reader = new QapiReader();

    @Test
    void missingRequiredMemberNamesCommandAndMember() {
        ObjectNode reply = blkQueueStatus();
        reply.remove("used-idx");
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(reply));
        assertEquals("x-query-virtio-queue-status: member 'used-idx' is required but missing", e.getMessage());
        assertEquals("used-idx", e.member());
    }

    @Test
    void wrongTypeNamesMemberValueAndExpectation() {
        ObjectNode reply = blkQueueStatus();
        reply.put("used-idx", "6209");
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(reply));
        assertEquals("x-query-virtio-queue-status: member 'used-idx' = \"6209\": expected an integer", e.getMessage());
    }

    @Test
    void booleanGivenAsStringIsRejected() {
        ObjectNode reply = blkStatus();
        reply.put("broken", "false");
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.virtioStatus(reply));
        assertEquals("x-query-virtio-status: member 'broken' = \"false\": expected true or false", e.getMessage());
    }

    @Test
    void valueOutsideItsQapiWidthIsRejected() {
        ObjectNode reply = blkQueueStatus();
        reply.put("used-idx", 70000);
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(reply));
        assertTrue(e.getMessage().contains("'used-idx' = 70000 is outside uint16 (0..65535)"), e.getMessage());
        assertTrue(e.getMessage().startsWith("x-query-virtio-queue-status: "), e.getMessage());
    }

    @Test
    void nestedProblemIsLocatedByPath() {
        ObjectNode reply = element();
        ((ObjectNode) reply.withArray("descs").get(0)).put("len", "big");
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.queueElement(reply));
        assertEquals("x-query-virtio-queue-element: member 'descs[0].len' = \"big\": expected an integer", e.getMessage());
    }

    @Test
    void uint64AboveLongMaxKeepsItsExactBits() throws Exception {
        ObjectNode reply = element();
        ((ObjectNode) reply.withArray("descs").get(0)).put("addr", new BigInteger("17582272109357747075"));
        VirtioQueueElement element = reader.queueElement(reply);
        assertEquals("17582272109357747075", Long.toUnsignedString(element.descs().get(0).addr()));
        assertEquals("17582272109357747075", reader.toJson(element).get("descs").get(0).get("addr").asText());
    }

    @Test
    void uint64OverflowIsRejected() {
        ObjectNode reply = element();
        ((ObjectNode) reply.withArray("descs").get(0)).put("addr", BigInteger.ONE.shiftLeft(64));
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.queueElement(reply));
        assertTrue(e.getMessage().contains("descs[0].addr") && e.getMessage().contains("18446744073709551616"), e.getMessage());
    }

    @Test
    void unknownMembersFromNewerQemuAreIgnored() throws Exception {
        ObjectNode reply = blkQueueStatus();
        reply.put("vring-ring-reset", true);
        reply.putObject("future").put("x", 1);
        assertEquals(6209, reader.queueStatus(reply).usedIdx());
    }

    @Test
    void absentOptionalMembersAreEmptyAndStayAbsent() throws Exception {
        ObjectNode reply = blkQueueStatus();
        reply.remove("last-avail-idx");
        reply.remove("shadow-avail-idx");
        VirtQueueStatus status = reader.queueStatus(reply);
        assertEquals(Optional.empty(), status.lastAvailIdx());
        assertEquals(Optional.empty(), status.shadowAvailIdx());
        assertFalse(reader.toJson(status).has("last-avail-idx"));
    }

    @Test
    void schemaExampleSpellingOfLegacyCheckIsAccepted() throws Exception {
        ObjectNode reply = blkStatus();
        reply.remove("disable-legacy-check");
        reply.put("disabled-legacy-check", true);
        assertTrue(reader.virtioStatus(reply).disableLegacyCheck());
    }

    @Test
    void numericFeatureBitmapsReadLikeTheirStringForm() throws Exception {
        ObjectNode strings = blkStatus();
        VirtioStatus expected = reader.virtioStatus(strings);
        ObjectNode numeric = strings.deepCopy();
        for (String member : List.of("guest-features", "host-features", "backend-features")) {
            FeatureSet symbols = featuresOf(expected, member).symbols();
            long word = FeatureCatalog.encode(2, symbols.symbols()) | symbols.unknownBits();
            numeric.put(member, new BigInteger(Long.toUnsignedString(word)));
        }
        numeric.put("status", 15);
        VirtioStatus actual = reader.virtioStatus(numeric);
        assertEquals(expected.hostFeatures().symbols(), actual.hostFeatures().symbols());
        assertEquals(expected.guestFeatures().symbols(), actual.guestFeatures().symbols());
        assertEquals(expected.status().symbols(), actual.status().symbols());
        assertEquals(expected.hostFeatures(), actual.hostFeatures(), "numeric form decodes to QEMU's exact text");
    }

    @Test
    void numericListsInsideTheFeatureObjectAreReadToo() throws Exception {
        ObjectNode reply = blkStatus();
        VirtioStatus expected = reader.virtioStatus(reply);
        FeatureSet host = expected.hostFeatures().symbols();
        ObjectNode features = reply.putObject("host-features");
        features.put("transports", FeatureCatalog.encode(2, host.symbols()));
        features.put("unknown-dev-features", host.unknownBits());
        assertEquals(host, reader.virtioStatus(reply).hostFeatures().symbols());
    }

    @Test
    void numericDescriptorFlagsBecomeNames() throws Exception {
        ObjectNode reply = element();
        ((ObjectNode) reply.withArray("descs").get(0)).put("flags", 3);
        assertEquals(List.of("next", "write"), reader.queueElement(reply).descs().get(0).flags());
    }

    @Test
    void unparseableFeatureEntriesAreKeptAsSuch() throws Exception {
        ObjectNode reply = blkStatus();
        ArrayNode transports = ((ObjectNode) reply.get("guest-features")).withArray("transports");
        transports.add("???: garbled");
        FeatureSet guest = reader.virtioStatus(reply).guestFeatures().symbols();
        assertEquals(List.of("???: garbled"), guest.unparseable());
        assertTrue(guest.contains("VIRTIO_F_VERSION_1"));
    }

    /** The byte form of the queue readers binds what the tree form binds and fails with its words. */
    @Test
    void queueStatusFromBytesReadsAndFailsLikeFromTheTree() throws Exception {
        ObjectNode valid = blkQueueStatus();
        assertEquals(reader.queueStatus(valid), reader.queueStatus(bytes(valid), 0, bytes(valid).length));
        ObjectNode missing = blkQueueStatus();
        missing.remove("used-idx");
        ObjectNode wrongType = blkQueueStatus();
        wrongType.put("used-idx", "6209");
        ObjectNode outOfRange = blkQueueStatus();
        outOfRange.put("used-idx", 70000);
        for (JsonNode broken : List.of(missing, wrongType, outOfRange, JSON.nullNode(), JSON.createArrayNode())) {
            QapiDecodeException fromTree = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(broken));
            byte[] json = bytes(broken);
            QapiDecodeException fromBytes = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(json, 0, json.length));
            assertEquals(fromTree.getMessage(), fromBytes.getMessage());
        }
        byte[] padded = ("xx" + valid + "yy").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(reader.queueStatus(valid), reader.queueStatus(padded, 2, padded.length - 4), "reads only its range");
    }

    /** Every queue status QEMU sent in the transcripts, and the shapes it might send, read alike from bytes and tree. */
    @Test
    void everyRealQueueStatusAndItsVariantsReadTheSameFromBytes() throws Exception {
        int read = 0;
        for (String name : List.of("qemu-7.2-linux-6.1-guest-running.txt", "qemu-7.2-virtio-blk-backend-hung.txt",
                "qemu-7.2-virtio-net-mrg_rxbuf-off.txt", "qemu-7.2-stop-cont-events.txt")) {
            for (Transcript.Exchange exchange : Transcript.named(name).exchanges()) {
                if (exchange.execute().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS) && !exchange.isError()) {
                    ObjectNode reply = (ObjectNode) exchange.response().get("return");
                    byte[] json = bytes(reply);
                    assertEquals(reader.queueStatus(reply), reader.queueStatus(json, 0, json.length), name + ": " + reply);
                    read++;
                }
            }
        }
        assertTrue(read > 50, "the transcripts hold many queue statuses, read " + read);
        ObjectNode valid = blkQueueStatus();
        ObjectNode unknownMember = blkQueueStatus();
        unknownMember.set("future-member", JSON.createObjectNode().put("nested", 1));
        ObjectNode withoutOptionals = blkQueueStatus();
        withoutOptionals.remove(List.of("last-avail-idx", "shadow-avail-idx"));
        ObjectNode reordered = JSON.createObjectNode();
        List<String> names = new java.util.ArrayList<>();
        valid.fieldNames().forEachRemaining(names::add);
        java.util.Collections.reverse(names);
        names.forEach(member -> reordered.set(member, valid.get(member)));
        ObjectNode hugeAddress = blkQueueStatus();
        hugeAddress.put("vring-desc", new java.math.BigInteger("18446744073709551615"));
        ObjectNode nullOptional = blkQueueStatus();
        nullOptional.putNull("last-avail-idx");
        for (ObjectNode variant : List.of(unknownMember, withoutOptionals, reordered, hugeAddress, nullOptional)) {
            byte[] json = bytes(variant);
            assertEquals(reader.queueStatus(variant), reader.queueStatus(json, 0, json.length), variant.toString());
        }
        assertEquals(-1L, reader.queueStatus(bytes(hugeAddress), 0, bytes(hugeAddress).length).vringDesc(), "2^64-1 as a long's bits");
    }

    /** What the streaming pass leaves to the general reader fails there with the general reader's words. */
    @Test
    void unusualQueueStatusesFailFromBytesAsFromTheTree() throws Exception {
        List<JsonNode> unusual = new java.util.ArrayList<>();
        for (String member : List.of("name", "queue-index", "inuse", "vring-desc", "signalled-used-valid")) {
            ObjectNode nulled = blkQueueStatus();
            nulled.putNull(member);
            unusual.add(nulled);
        }
        ObjectNode negativeAddress = blkQueueStatus();
        negativeAddress.put("vring-used", -1);
        ObjectNode tooLargeAddress = blkQueueStatus();
        tooLargeAddress.put("vring-used", new java.math.BigInteger("18446744073709551616"));
        ObjectNode fraction = blkQueueStatus();
        fraction.put("inuse", 1.5);
        ObjectNode longIndex = blkQueueStatus();
        longIndex.put("queue-index", 1L << 40);
        ObjectNode negativeOptional = blkQueueStatus();
        negativeOptional.put("last-avail-idx", -3);
        unusual.addAll(List.of(negativeAddress, tooLargeAddress, fraction, longIndex, negativeOptional));
        for (JsonNode broken : unusual) {
            QapiDecodeException fromTree = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(broken), broken.toString());
            byte[] json = bytes(broken);
            QapiDecodeException fromBytes = assertThrows(QapiDecodeException.class, () -> reader.queueStatus(json, 0, json.length));
            assertEquals(fromTree.getMessage(), fromBytes.getMessage());
        }
        byte[] truncated = java.util.Arrays.copyOf(bytes(blkQueueStatus()), 40);
        assertThrows(QapiDecodeException.class, () -> reader.queueStatus(truncated, 0, truncated.length));
    }

    private static byte[] bytes(JsonNode json) {
        return json.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void replyWithoutReturnValueIsAnError() {
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.virtioStatus(JSON.nullNode()));
        assertEquals("x-query-virtio-status: reply has no return value", e.getMessage());
    }

    @Test
    void objectWhereListBelongsIsRejected() {
        JsonNode reply = JSON.createObjectNode().put("name", "virtio-blk");
        QapiDecodeException e = assertThrows(QapiDecodeException.class, () -> reader.virtioDevices(reply));
        assertTrue(e.getMessage().startsWith("x-query-virtio: "), e.getMessage());
        assertTrue(e.getMessage().contains("expected an array"), e.getMessage());
    }

    private static VirtioDeviceFeatures featuresOf(VirtioStatus status, String member) {
        return switch (member) {
            case "guest-features" -> status.guestFeatures();
            case "host-features" -> status.hostFeatures();
            default -> status.backendFeatures();
        };
    }

    private static ObjectNode blkQueueStatus() {
        return replyTo(QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS, "/machine/peripheral/blk0/virtio-backend");
    }

    private static ObjectNode blkStatus() {
        return replyTo(QapiReader.X_QUERY_VIRTIO_STATUS, "/machine/peripheral/blk0/virtio-backend");
    }

    private static ObjectNode element() {
        return (ObjectNode) Transcript.named("qemu-7.2-linux-6.1-guest-running.txt").exchanges().stream()
                .filter(e -> e.execute().equals(QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT) && !e.isError())
                .findFirst().orElseThrow().response().get("return").deepCopy();
    }

    private static ObjectNode replyTo(String command, String path) {
        return (ObjectNode) HUNG.exchanges().stream()
                .filter(e -> e.execute().equals(command) && path.equals(e.arguments().path("path").asText()) && !e.isError())
                .findFirst().orElseThrow().response().get("return").deepCopy();
    }
}
