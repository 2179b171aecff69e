package dev.virtiofleet.qapi.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The catalog must reproduce QEMU 7.2 exactly, so the real transcripts are the oracle: every
 * decoded list QEMU printed is re-encoded to its bitmap and decoded again by us.
 */
class FeatureCatalogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received QMP message, with where it came from for failure messages. */
    private record Received(String where, JsonNode json) {}

    /** A decoded-bits object found in a reply, with the device id of the reply that holds it. */
    private record Found(String where, int deviceId, JsonNode node) {}

    @TestFactory
    Stream<DynamicTest> transcriptFeatureListsRoundTrip() throws IOException {
        List<Found> found = findObjectsWith("transports");
        assertFalse(found.isEmpty(), "no VirtioDeviceFeatures in the transcripts");
        return found.stream().map(f -> DynamicTest.dynamicTest(f.where() + " device " + f.deviceId(), () -> {
            List<String> transports = texts(f.node().get("transports"));
            List<String> device = texts(f.node().get("dev-features"));
            long unknown = uint64(f.node().get("unknown-dev-features"));
            long named = FeatureCatalog.encode(f.deviceId(), symbols(transports, device));
            assertEquals(0, named & unknown, "named and unknown bits overlap");

            DecodedBits decoded = FeatureCatalog.decodeFeatures(f.deviceId(), named | unknown);

            assertEquals(transports, decoded.transportTexts(), "transports");
            assertEquals(device, decoded.deviceTexts(), "dev-features");
            assertEquals(unknown, decoded.unknownBits(), "unknown-dev-features");
        }));
    }

    @TestFactory
    Stream<DynamicTest> transcriptStatusesRoundTrip() throws IOException {
        List<Found> found = findObjectsWith("statuses");
        assertFalse(found.isEmpty(), "no VirtioDeviceStatus in the transcripts");
        Map<String, FeatureBit> bySymbol = bySymbol(FeatureCatalog.deviceStatusBits());
        return found.stream().map(f -> DynamicTest.dynamicTest(f.where(), () -> {
            List<String> statuses = texts(f.node().get("statuses"));
            long unknown = uint64(f.node().get("unknown-statuses"));
            long named = 0;
            for (String symbol : symbols(statuses, List.of())) {
                FeatureBit status = bySymbol.get(symbol);
                assertTrue(status != null, "unknown status " + symbol);
                named |= status.mask();
            }

            DecodedBits decoded = FeatureCatalog.decodeStatus((int) (named | unknown));

            assertEquals(List.of(), decoded.transports());
            assertEquals(statuses, decoded.deviceTexts(), "statuses");
            assertEquals(unknown, decoded.unknownBits(), "unknown-statuses");
        }));
    }

    // The transcripts have no started vhost-user device; this stays ready for ones that do.
    @TestFactory
    Stream<DynamicTest> transcriptProtocolsRoundTrip() throws IOException {
        Map<String, FeatureBit> bySymbol = bySymbol(FeatureCatalog.vhostUserProtocolFeatures());
        return findObjectsWith("protocols").stream().map(f -> DynamicTest.dynamicTest(f.where(), () -> {
            List<String> protocols = texts(f.node().get("protocols"));
            long unknown = uint64(f.node().get("unknown-protocols"));
            long named = 0;
            for (String symbol : symbols(protocols, List.of())) {
                FeatureBit protocol = bySymbol.get(symbol);
                assertTrue(protocol != null, "unknown protocol feature " + symbol);
                named |= protocol.mask();
            }

            DecodedBits decoded = FeatureCatalog.decodeProtocols(named | unknown);

            assertEquals(protocols, decoded.deviceTexts(), "protocols");
            assertEquals(unknown, decoded.unknownBits(), "unknown-protocols");
        }));
    }

    @Test
    void everyReportedDeviceNameIsKnown() throws IOException {
        Set<String> listed = new TreeSet<>();
        for (Received r : received()) {
            JsonNode ret = r.json().path("return");
            if (ret.isArray()) {
                for (JsonNode info : ret) {
                    if (info.has("name") && info.has("path")) {
                        listed.add(info.get("name").asText());
                    }
                }
            } else if (ret.has("device-id") && ret.has("name")) {
                // The status reply ties a name to its device id: the two must agree with the enum.
                String name = ret.get("name").asText();
                assertEquals(ret.get("device-id").asInt(),
                        VirtioDeviceType.fromQemuName(name).orElseThrow().deviceId(), r.where() + " " + name);
            }
        }
        assertFalse(listed.isEmpty(), "no x-query-virtio reply in the transcripts");
        for (String name : listed) {
            assertTrue(VirtioDeviceType.fromQemuName(name).isPresent(), name);
            assertEquals(name, VirtioDeviceType.fromQemuName(name).orElseThrow().qemuName(), name);
        }
        assertTrue(VirtioDeviceType.fromQemuName("virtio-nonesuch").isEmpty());
        assertTrue(VirtioDeviceType.fromQemuName(null).isEmpty());
    }

    @Test
    void bitOfLooksInTransportsThenTheDeviceTable() {
        assertEquals(OptionalInt.of(32), FeatureCatalog.bitOf(1, "VIRTIO_F_VERSION_1"));
        assertEquals(OptionalInt.of(5), FeatureCatalog.bitOf(1, "VIRTIO_NET_F_MAC"));
        assertEquals(OptionalInt.of(63), FeatureCatalog.bitOf(1, "VIRTIO_NET_F_SPEED_DUPLEX"));
        assertEquals(OptionalInt.empty(), FeatureCatalog.bitOf(2, "VIRTIO_NET_F_MAC"));
        assertEquals(OptionalInt.empty(), FeatureCatalog.bitOf(1, "VIRTIO_F_RING_RESET"));
        assertEquals(OptionalInt.of(32), FeatureCatalog.bitOf(999, "VIRTIO_F_VERSION_1"));
        assertEquals(OptionalInt.empty(), FeatureCatalog.bitOf(999, "VHOST_F_LOG_ALL"));
    }

    @Test
    void encodeRejectsASymbolTheDeviceDoesNotKnow() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> FeatureCatalog.encode(5, List.of("VIRTIO_F_VERSION_1", "VHOST_USER_F_PROTOCOL_FEATURES")));
        assertTrue(e.getMessage().contains("VHOST_USER_F_PROTOCOL_FEATURES"), e.getMessage());
        assertTrue(e.getMessage().contains("device id 5"), e.getMessage());
        assertEquals((1L << 32) | (1L << 1), FeatureCatalog.encode(5, List.of("VIRTIO_F_VERSION_1",
                "VIRTIO_BALLOON_F_STATS_VQ")));
        assertEquals(0, FeatureCatalog.encode(5, List.of()));
    }

    @Test
    void unknownDeviceIdLeavesEveryNonTransportBitUnknown() {
        long bitmap = (1L << 32) | (1L << 30) | (1L << 40) | 1;
        for (int deviceId : new int[] {6, 999}) {
            DecodedBits decoded = FeatureCatalog.decodeFeatures(deviceId, bitmap);
            assertEquals(List.of("VIRTIO_F_VERSION_1: Device compliant for v1 spec (legacy)"),
                    decoded.transportTexts());
            assertEquals(List.of(), decoded.device());
            assertEquals((1L << 30) | (1L << 40) | 1, decoded.unknownBits());
        }
        // Known types without a QEMU 7.2 table behave the same.
        assertEquals(bitmap & ~(1L << 32), FeatureCatalog.decodeFeatures(41, bitmap).unknownBits());
    }

    @Test
    void qemu72Quirks() {
        long ringReset = 1L << 40;
        long vhostUserProtocol = 1L << 30;
        assertEquals(1100585369600L,
                FeatureCatalog.decodeFeatures(5, ringReset | vhostUserProtocol).unknownBits());
        assertEquals(1100585369600L,
                FeatureCatalog.decodeFeatures(3, ringReset | vhostUserProtocol).unknownBits());
        assertEquals(ringReset, FeatureCatalog.decodeFeatures(2, ringReset | vhostUserProtocol).unknownBits());

        // Bit 27 is both ANY_LAYOUT and VHOST_NET_F_VIRTIO_NET_HDR; the transport wins.
        DecodedBits net = FeatureCatalog.decodeFeatures(1, 1L << 27);
        assertEquals(List.of("VIRTIO_F_ANY_LAYOUT: Device accepts arbitrary desc. layouts"), net.transportTexts());
        assertEquals(List.of(), net.device());

        // Bit 63 is the sign bit of a Java long.
        DecodedBits speed = FeatureCatalog.decodeFeatures(1, Long.MIN_VALUE);
        assertEquals(List.of("VIRTIO_NET_F_SPEED_DUPLEX: Device set linkspeed and duplex"), speed.deviceTexts());
        assertEquals(0, speed.unknownBits());

        assertEquals("VIRTIO_RING_F_EVENT_IDX", FeatureCatalog.transportFeatures().getFirst().symbol());
        assertEquals("VIRTIO_F_NOTIFY_ON_EMPTY", FeatureCatalog.transportFeatures().getLast().symbol());
    }

    @Test
    void statusByteDecodesInQemuOrder() {
        DecodedBits all = FeatureCatalog.decodeStatus(0xFF);
        assertEquals(List.of("VIRTIO_CONFIG_S_ACKNOWLEDGE", "VIRTIO_CONFIG_S_FAILED", "VIRTIO_CONFIG_S_NEEDS_RESET",
                        "VIRTIO_CONFIG_S_DRIVER", "VIRTIO_CONFIG_S_FEATURES_OK", "VIRTIO_CONFIG_S_DRIVER_OK"),
                all.device().stream().map(FeatureBit::symbol).toList());
        assertEquals(0x30, all.unknownBits());
        assertEquals(0, FeatureCatalog.decodeStatus(0).device().size());
        assertThrows(IllegalArgumentException.class, () -> FeatureCatalog.decodeStatus(0x100));
        assertThrows(IllegalArgumentException.class, () -> FeatureCatalog.decodeStatus(-1));
    }

    @Test
    void protocolWordDecodesInQemuOrder() {
        DecodedBits decoded = FeatureCatalog.decodeProtocols(1 | (1L << 15) | (1L << 16));
        assertEquals(List.of("VHOST_USER_PROTOCOL_F_CONFIGURE_MEM_SLOTS", "VHOST_USER_PROTOCOL_F_MQ"),
                decoded.device().stream().map(FeatureBit::symbol).toList());
        assertEquals(1L << 16, decoded.unknownBits());
    }

    @Test
    void tablesAreConsistent() {
        assertDistinct("transports", FeatureCatalog.transportFeatures());
        assertDistinct("statuses", FeatureCatalog.deviceStatusBits());
        assertDistinct("protocols", FeatureCatalog.vhostUserProtocolFeatures());
        assertTrue(FeatureCatalog.deviceStatusBits().stream().allMatch(b -> b.bit() < 8));

        Set<Integer> ids = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (VirtioDeviceType type : VirtioDeviceType.values()) {
            assertDistinct(type.name(), type.deviceFeatures());
            assertTrue(ids.add(type.deviceId()), "duplicate device id " + type.deviceId());
            for (String name : type.qemuNames()) {
                assertTrue(names.add(name), "name on two types: " + name);
            }
            assertEquals(type, VirtioDeviceType.fromDeviceId(type.deviceId()).orElseThrow());
            assertEquals(type, VirtioDeviceType.fromQemuName(type.qemuName()).orElseThrow());
        }
        assertTrue(VirtioDeviceType.fromDeviceId(6).isEmpty());
    }

    @Test
    void featureBitValidatesAndFormats() {
        assertThrows(IllegalArgumentException.class, () -> new FeatureBit(64, "X", "x"));
        assertThrows(IllegalArgumentException.class, () -> new FeatureBit(-1, "X", "x"));
        assertThrows(IllegalArgumentException.class, () -> new FeatureBit(0, " ", "x"));
        assertThrows(NullPointerException.class, () -> new FeatureBit(0, null, "x"));
        assertEquals("A_B: c d", new FeatureBit(63, "A_B", "c d").qmpText());
        assertEquals(Long.MIN_VALUE, new FeatureBit(63, "A_B", "c d").mask());
    }

    private static void assertDistinct(String table, List<FeatureBit> bits) {
        assertEquals(bits.size(), bits.stream().map(FeatureBit::bit).distinct().count(), table + " bits");
        assertEquals(bits.size(), bits.stream().map(FeatureBit::symbol).distinct().count(), table + " symbols");
    }

    private static Map<String, FeatureBit> bySymbol(List<FeatureBit> table) {
        return table.stream().collect(Collectors.toMap(FeatureBit::symbol, Function.identity()));
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        if (array != null) {
            assertTrue(array.isArray(), "expected a list: " + array);
            array.forEach(entry -> texts.add(entry.asText()));
        }
        return texts;
    }

    private static List<String> symbols(List<String> first, List<String> second) {
        return Stream.concat(first.stream(), second.stream()).map(text -> {
            int colon = text.indexOf(": ");
            assertTrue(colon > 0, "not \"NAME: description\": " + text);
            return text.substring(0, colon);
        }).toList();
    }

    // QMP's uint64 can exceed Long.MAX_VALUE; keep its bit pattern. Absent means 0 in QEMU.
    private static long uint64(JsonNode number) {
        if (number == null) {
            return 0;
        }
        assertTrue(number.isIntegralNumber(), "expected an integer: " + number);
        return number.bigIntegerValue().longValue();
    }

    private static List<Found> findObjectsWith(String field) throws IOException {
        List<Found> found = new ArrayList<>();
        for (Received r : received()) {
            collect(r.where(), r.json(), -1, field, found);
        }
        return found;
    }

    private static void collect(String where, JsonNode node, int deviceId, String field, List<Found> found) {
        if (node.isObject()) {
            int id = node.has("device-id") ? node.get("device-id").asInt() : deviceId;
            if (node.has(field)) {
                found.add(new Found(where, id, node));
            }
            node.properties().forEach(e -> collect(where + " " + e.getKey(), e.getValue(), id, field, found));
        } else if (node.isArray()) {
            node.forEach(element -> collect(where, element, deviceId, field, found));
        }
    }

    private static List<Received> received() throws IOException {
        Path dir = sharedDir().resolve("qmp-transcripts");
        List<Path> files;
        try (Stream<Path> listing = Files.list(dir)) {
            files = listing.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no transcripts in " + dir.toAbsolutePath());
        List<Received> received = new ArrayList<>();
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith("<")) {
                    String where = file.getFileName() + ":" + (i + 1);
                    received.add(new Received(where, JSON.readTree(lines.get(i).substring(1))));
                }
            }
        }
        return received;
    }

    // Surefire passes the folder; from an IDE the module directory is the working directory.
    private static Path sharedDir() {
        String configured = System.getProperty("virtiofleet.shared.dir");
        return configured != null ? Path.of(configured) : Path.of("../../shared");
    }
}
