package dev.virtiofleet.qapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.virtiofleet.qapi.features.DecodedBits;
import dev.virtiofleet.qapi.features.FeatureBit;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import java.math.BigInteger;
import java.util.List;

/**
 * Rewrites the numeric-bitmap encoding of features, status and descriptor flags (proposed for
 * QEMU, see DESIGN.md) into today's list-of-names encoding, so one set of records reads both.
 * Works on the JSON tree before binding; anything it does not recognise is left for the binder to
 * report.
 */
final class BitmapEncoding {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final List<String> FEATURE_MEMBERS = List.of("guest-features", "host-features", "backend-features");
    private static final List<String> VHOST_FEATURE_MEMBERS = List.of("features", "acked-features", "backend-features");
    private static final String[] DESC_FLAGS = {"next", "write", "indirect"};

    private BitmapEncoding() {}

    static void normalizeVirtioStatus(JsonNode reply) {
        if (!(reply instanceof ObjectNode status) || !status.path("device-id").canConvertToInt()) {
            return;
        }
        int deviceId = status.get("device-id").intValue();
        FEATURE_MEMBERS.forEach(member -> normalizeFeatures(status, member, deviceId));
        normalizeStatusByte(status);
        if (status.get("vhost-dev") instanceof ObjectNode vhost) {
            VHOST_FEATURE_MEMBERS.forEach(member -> normalizeFeatures(vhost, member, deviceId));
            normalizeProtocols(vhost);
        }
    }

    static void normalizeQueueElement(JsonNode reply) {
        if (reply.get("descs") instanceof ArrayNode descs) {
            for (JsonNode desc : descs) {
                if (desc instanceof ObjectNode d && d.path("flags").isIntegralNumber()) {
                    d.set("flags", descFlagNames(d.get("flags").intValue()));
                }
            }
        }
    }

    private static void normalizeFeatures(ObjectNode parent, String member, int deviceId) {
        JsonNode value = parent.get(member);
        if (value != null && value.isIntegralNumber()) {
            parent.set(member, featureLists(FeatureCatalog.decodeFeatures(deviceId, bits(value))));
        } else if (value instanceof ObjectNode features
                && (features.path("transports").isIntegralNumber() || features.path("dev-features").isIntegralNumber())) {
            long word = bits(features.get("transports")) | bits(features.get("dev-features"))
                    | bits(features.get("unknown-dev-features"));
            parent.set(member, featureLists(FeatureCatalog.decodeFeatures(deviceId, word)));
        }
    }

    private static void normalizeStatusByte(ObjectNode status) {
        JsonNode value = status.get("status");
        JsonNode byteValue = value != null && value.isIntegralNumber() ? value
                : value != null && value.path("statuses").isIntegralNumber() ? value.get("statuses") : null;
        if (byteValue != null) {
            DecodedBits decoded = FeatureCatalog.decodeStatus(byteValue.intValue());
            ObjectNode lists = JSON.objectNode();
            lists.set("statuses", names(decoded.transports(), decoded.device()));
            if (decoded.unknownBits() != 0) {
                lists.put("unknown-statuses", decoded.unknownBits());
            }
            status.set("status", lists);
        }
    }

    private static void normalizeProtocols(ObjectNode vhost) {
        JsonNode value = vhost.get("protocol-features");
        JsonNode bitmap = value != null && value.isIntegralNumber() ? value
                : value != null && value.path("protocols").isIntegralNumber() ? value.get("protocols") : null;
        if (bitmap != null) {
            DecodedBits decoded = FeatureCatalog.decodeProtocols(bits(bitmap));
            ObjectNode lists = JSON.objectNode();
            lists.set("protocols", names(decoded.transports(), decoded.device()));
            if (decoded.unknownBits() != 0) {
                lists.put("unknown-protocols", unsigned(decoded.unknownBits()));
            }
            vhost.set("protocol-features", lists);
        }
    }

    private static ObjectNode featureLists(DecodedBits decoded) {
        ObjectNode lists = JSON.objectNode();
        lists.set("transports", names(decoded.transports(), List.of()));
        lists.set("dev-features", names(decoded.device(), List.of()));
        if (decoded.unknownBits() != 0) {
            lists.put("unknown-dev-features", unsigned(decoded.unknownBits()));
        }
        return lists;
    }

    private static ArrayNode names(List<FeatureBit> first, List<FeatureBit> second) {
        ArrayNode array = JSON.arrayNode();
        first.forEach(bit -> array.add(bit.qmpText()));
        second.forEach(bit -> array.add(bit.qmpText()));
        return array;
    }

    private static ArrayNode descFlagNames(int flags) {
        ArrayNode array = JSON.arrayNode();
        for (int bit = 0; bit < DESC_FLAGS.length; bit++) {
            if ((flags & (1 << bit)) != 0) {
                array.add(DESC_FLAGS[bit]);
            }
        }
        int unknown = flags & ~((1 << DESC_FLAGS.length) - 1);
        if (unknown != 0) {
            array.add("0x" + Integer.toHexString(unknown));
        }
        return array;
    }

    private static long bits(JsonNode node) {
        return node != null && node.isIntegralNumber() ? node.bigIntegerValue().longValue() : 0L;
    }

    private static BigInteger unsigned(long bits) {
        return new BigInteger(Long.toUnsignedString(bits));
    }
}
