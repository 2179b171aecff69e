package dev.virtiofleet.qapi;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Optional;

/**
 * Reads the reply that is most of a sweep, {@code x-query-virtio-queue-status}, in one streaming
 * pass into {@link VirtQueueStatus}, for the usual case only: every required member present, once
 * or more, with the JSON type QAPI gives it. Anything else (a member missing, null or of another
 * type, a number out of range, malformed JSON) yields empty, and {@link QapiReader} reads the reply
 * the general way, which also explains what is wrong. Unknown members are skipped, as there, so a
 * reply gives the same record either way.
 */
final class QueueStatusScanner {
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    /** Thrown where the usual case ends; no stack trace, since it only sends the reply the general way. */
    private static final class Unusual extends Exception {
        private static final Unusual INSTANCE = new Unusual();

        private Unusual() {
            super("not the usual reply", null, false, false);
        }
    }

    private QueueStatusScanner() {}

    static Optional<VirtQueueStatus> scan(JsonFactory json, byte[] bytes, int offset, int length) {
        try (JsonParser parser = json.createParser(bytes, offset, length)) {
            return Optional.of(read(parser));
        } catch (Unusual | IOException | RuntimeException e) {
            // RuntimeException: the record's own range checks, worded by the general reader.
            return Optional.empty();
        }
    }

    private static VirtQueueStatus read(JsonParser parser) throws IOException, Unusual {
        expect(parser.nextToken() == JsonToken.START_OBJECT);
        String name = null;
        Integer queueIndex = null;
        Long inuse = null;
        Long vringNum = null;
        Long vringNumDefault = null;
        Long vringAlign = null;
        Long vringDesc = null;
        Long vringAvail = null;
        Long vringUsed = null;
        Optional<Integer> lastAvailIdx = Optional.empty();
        Optional<Integer> shadowAvailIdx = Optional.empty();
        Integer usedIdx = null;
        Integer signalledUsed = null;
        Boolean signalledUsedValid = null;
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String member = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (member) {
                case "name" -> {
                    expect(value == JsonToken.VALUE_STRING);
                    name = parser.getText();
                }
                case "queue-index" -> queueIndex = int32(parser, value);
                case "inuse" -> inuse = int64(parser, value);
                case "vring-num" -> vringNum = int64(parser, value);
                case "vring-num-default" -> vringNumDefault = int64(parser, value);
                case "vring-align" -> vringAlign = int64(parser, value);
                case "vring-desc" -> vringDesc = uint64(parser, value);
                case "vring-avail" -> vringAvail = uint64(parser, value);
                case "vring-used" -> vringUsed = uint64(parser, value);
                case "last-avail-idx" -> lastAvailIdx = Optional.of(int32(parser, value));
                case "shadow-avail-idx" -> shadowAvailIdx = Optional.of(int32(parser, value));
                case "used-idx" -> usedIdx = int32(parser, value);
                case "signalled-used" -> signalledUsed = int32(parser, value);
                case "signalled-used-valid" -> {
                    expect(value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE);
                    signalledUsedValid = value == JsonToken.VALUE_TRUE;
                }
                default -> parser.skipChildren();
            }
        }
        expect(token == JsonToken.END_OBJECT && parser.nextToken() == null);
        expect(name != null && queueIndex != null && inuse != null && vringNum != null && vringNumDefault != null
                && vringAlign != null && vringDesc != null && vringAvail != null && vringUsed != null && usedIdx != null
                && signalledUsed != null && signalledUsedValid != null);
        return new VirtQueueStatus(name, queueIndex, inuse, vringNum, vringNumDefault, vringAlign, vringDesc, vringAvail,
                vringUsed, lastAvailIdx, shadowAvailIdx, usedIdx, signalledUsed, signalledUsedValid);
    }

    private static void expect(boolean usual) throws Unusual {
        if (!usual) {
            throw Unusual.INSTANCE;
        }
    }

    private static int int32(JsonParser parser, JsonToken value) throws IOException, Unusual {
        expect(value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() == JsonParser.NumberType.INT);
        return parser.getIntValue();
    }

    private static long int64(JsonParser parser, JsonToken value) throws IOException, Unusual {
        expect(value == JsonToken.VALUE_NUMBER_INT && parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER);
        return parser.getLongValue();
    }

    /** QAPI uint64 as a long's bits, as {@link Uint64} reads it. */
    private static long uint64(JsonParser parser, JsonToken value) throws IOException, Unusual {
        expect(value == JsonToken.VALUE_NUMBER_INT);
        if (parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            long read = parser.getLongValue();
            expect(read >= 0);
            return read;
        }
        BigInteger read = parser.getBigIntegerValue();
        expect(read.signum() >= 0 && read.compareTo(UINT64_MAX) <= 0);
        return read.longValue();
    }
}
