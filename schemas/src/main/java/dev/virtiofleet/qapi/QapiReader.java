package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the {@code return} value of the five virtio QMP commands into QAPI records.
 *
 * <p>Strict where QAPI is strict (a required member missing or of the wrong type is an error that
 * names command, member and value) and lenient where QEMU evolves: unknown members are ignored,
 * absent optional members are {@link java.util.Optional#empty()}, and the proposed numeric-bitmap
 * encoding of features is read as well as today's strings. Thread-safe.
 */
public final class QapiReader {
    public static final String X_QUERY_VIRTIO = "x-query-virtio";
    public static final String X_QUERY_VIRTIO_STATUS = "x-query-virtio-status";
    public static final String X_QUERY_VIRTIO_QUEUE_STATUS = "x-query-virtio-queue-status";
    public static final String X_QUERY_VIRTIO_VHOST_QUEUE_STATUS = "x-query-virtio-vhost-queue-status";
    public static final String X_QUERY_VIRTIO_QUEUE_ELEMENT = "x-query-virtio-queue-element";

    private static final Pattern MISSING_PROPERTY = Pattern.compile("Missing required creator property '([^']+)'");

    private final ObjectMapper mapper;
    private final JavaType virtioInfoList;

    public QapiReader() {
        this.mapper = newMapper();
        this.virtioInfoList = mapper.getTypeFactory().constructCollectionType(List.class, VirtioInfo.class);
    }

    /** The Jackson configuration QAPI needs; also what writes records back as QMP JSON. */
    public static ObjectMapper newMapper() {
        JsonMapper mapper = JsonMapper.builder()
                .addModule(new Jdk8Module())
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_ABSENT, JsonInclude.Include.NON_ABSENT))
                .build();
        // QAPI is typed: "5" is not an integer and 5 is not a string.
        mapper.coercionConfigFor(LogicalType.Textual)
                .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        return mapper;
    }

    public List<VirtioInfo> virtioDevices(JsonNode reply) throws QapiDecodeException {
        return bind(X_QUERY_VIRTIO, reply, virtioInfoList);
    }

    public VirtioStatus virtioStatus(JsonNode reply) throws QapiDecodeException {
        JsonNode copy = reply.deepCopy();
        BitmapEncoding.normalizeVirtioStatus(copy);
        return bind(X_QUERY_VIRTIO_STATUS, copy, mapper.constructType(VirtioStatus.class));
    }

    public VirtQueueStatus queueStatus(JsonNode reply) throws QapiDecodeException {
        return bind(X_QUERY_VIRTIO_QUEUE_STATUS, reply, mapper.constructType(VirtQueueStatus.class));
    }

    public VirtVhostQueueStatus vhostQueueStatus(JsonNode reply) throws QapiDecodeException {
        return bind(X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, reply, mapper.constructType(VirtVhostQueueStatus.class));
    }

    /**
     * {@link #queueStatus(JsonNode)} straight from the reply's bytes: no tree is built unless the
     * reply does not bind, and then the tree explains it exactly as the other form would. The usual
     * reply, nearly every one a sweep reads, is read in one streaming pass ({@link QueueStatusScanner}).
     */
    public VirtQueueStatus queueStatus(byte[] json, int offset, int length) throws QapiDecodeException {
        Optional<VirtQueueStatus> usual = QueueStatusScanner.scan(mapper.getFactory(), json, offset, length);
        if (usual.isPresent()) {
            return usual.get();
        }
        return bindBytes(X_QUERY_VIRTIO_QUEUE_STATUS, json, offset, length, VirtQueueStatus.class, this::queueStatus);
    }

    /** {@link #vhostQueueStatus(JsonNode)} straight from the reply's bytes, as {@link #queueStatus(byte[], int, int)}. */
    public VirtVhostQueueStatus vhostQueueStatus(byte[] json, int offset, int length) throws QapiDecodeException {
        return bindBytes(X_QUERY_VIRTIO_VHOST_QUEUE_STATUS, json, offset, length, VirtVhostQueueStatus.class, this::vhostQueueStatus);
    }

    public VirtioQueueElement queueElement(JsonNode reply) throws QapiDecodeException {
        JsonNode copy = reply.deepCopy();
        BitmapEncoding.normalizeQueueElement(copy);
        return bind(X_QUERY_VIRTIO_QUEUE_ELEMENT, copy, mapper.constructType(VirtioQueueElement.class));
    }

    /** Writes a record back as the QMP JSON QEMU would send (absent optionals omitted). */
    public JsonNode toJson(Object record) {
        return mapper.valueToTree(record);
    }

    private <T> T bind(String command, JsonNode reply, JavaType type) throws QapiDecodeException {
        if (reply == null || reply.isMissingNode() || reply.isNull()) {
            throw new QapiDecodeException(command, "", "reply has no return value", null);
        }
        try {
            return mapper.treeToValue(reply, type);
        } catch (JsonMappingException e) {
            throw describe(command, reply, e);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new QapiDecodeException(command, "", "unreadable reply: " + e.getMessage(), e);
        }
    }

    @FunctionalInterface
    private interface TreeForm<T> {
        T read(JsonNode reply) throws QapiDecodeException;
    }

    private <T> T bindBytes(String command, byte[] json, int offset, int length, Class<T> type, TreeForm<T> treeForm)
            throws QapiDecodeException {
        try {
            T value = mapper.readValue(json, offset, length, type);
            if (value != null) {
                return value;
            }
        } catch (IOException | IllegalArgumentException e) {
            // The tree form names the member and the value that did not fit.
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(json, offset, length);
        } catch (IOException e) {
            throw new QapiDecodeException(command, "", "unreadable reply: " + e.getMessage(), e);
        }
        return treeForm.read(tree);
    }

    private static QapiDecodeException describe(String command, JsonNode reply, JsonMappingException e) {
        String path = path(e.getPath());
        Matcher missing = MISSING_PROPERTY.matcher(e.getOriginalMessage());
        if (missing.find()) {
            // Jackson's path sometimes already ends at the missing member, sometimes at its parent.
            String member = path.equals(missing.group(1)) || path.endsWith("." + missing.group(1))
                    ? path : join(path, missing.group(1));
            return new QapiDecodeException(command, member, "is required but missing", e);
        }
        JsonNode offending = at(reply, e.getPath());
        String value = offending.isMissingNode() ? "(absent)" : offending.toString();
        if (e instanceof ValueInstantiationException && e.getCause() != null) {
            // Our own range checks: the cause already says which member and which range.
            return new QapiDecodeException(command, path, "= " + value + ": " + e.getCause().getMessage(), e);
        }
        String expected = e instanceof MismatchedInputException mismatch && mismatch.getTargetType() != null
                ? expectation(mismatch.getTargetType())
                : "a different value";
        return new QapiDecodeException(command, path, "= " + value + ": expected " + expected, e);
    }

    private static String expectation(Class<?> target) {
        if (target == int.class || target == Integer.class || target == long.class || target == Long.class) {
            return "an integer";
        }
        if (target == boolean.class || target == Boolean.class) {
            return "true or false";
        }
        if (target == String.class) {
            return "a string";
        }
        if (List.class.isAssignableFrom(target)) {
            return "an array";
        }
        return target.isRecord() ? "an object (" + target.getSimpleName() + ")" : target.getSimpleName();
    }

    private static String path(List<JsonMappingException.Reference> references) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference ref : references) {
            if (ref.getFieldName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String join(String parent, String member) {
        return parent.isEmpty() ? member : parent + "." + member;
    }

    private static JsonNode at(JsonNode reply, List<JsonMappingException.Reference> references) {
        JsonNode node = reply;
        for (JsonMappingException.Reference ref : references) {
            node = ref.getFieldName() != null ? node.path(ref.getFieldName()) : node.path(ref.getIndex());
        }
        return node;
    }
}
