package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JacksonAnnotationsInside;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.math.BigInteger;

/**
 * QAPI {@code uint64} carried in a Java {@code long} as its two's-complement bits.
 *
 * <p>QEMU really sends values above {@link Long#MAX_VALUE} (descriptor addresses such as
 * 17582272109357747075 in the running-guest transcript), which Jackson cannot put in a long on its
 * own. Read them with {@link Long#toUnsignedString(long)} in mind: the bits are exact.
 */
public final class Uint64 {
    private static final BigInteger MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private Uint64() {}

    /** Marks a {@code long} record component as a QAPI {@code uint64}. */
    @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT})
    @Retention(RetentionPolicy.RUNTIME)
    @JacksonAnnotationsInside
    @JsonDeserialize(using = Reader.class)
    @JsonSerialize(using = Writer.class)
    public @interface Member {}

    /** Marks an {@code Optional<Long>} record component as an optional QAPI {@code uint64}. */
    @Target({ElementType.FIELD, ElementType.METHOD, ElementType.PARAMETER, ElementType.RECORD_COMPONENT})
    @Retention(RetentionPolicy.RUNTIME)
    @JacksonAnnotationsInside
    @JsonDeserialize(contentUsing = Reader.class)
    @JsonSerialize(contentUsing = Writer.class)
    public @interface OptionalMember {}

    /** Reads a JSON integer in 0..2^64-1 into a long's bits. */
    public static final class Reader extends StdDeserializer<Long> {
        public Reader() {
            super(Long.class);
        }

        @Override
        public Long deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) {
                return (Long) ctxt.handleUnexpectedToken(Long.class, p);
            }
            BigInteger value = p.getBigIntegerValue();
            if (value.signum() < 0 || value.compareTo(MAX) > 0) {
                return (Long) ctxt.handleWeirdNumberValue(Long.class, value, "outside uint64 (0..%s)", MAX);
            }
            return value.longValue();
        }
    }

    /** Writes a long's bits back as the unsigned JSON integer QEMU sent. */
    public static final class Writer extends StdSerializer<Long> {
        public Writer() {
            super(Long.class);
        }

        @Override
        public void serialize(Long value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeNumber(new BigInteger(Long.toUnsignedString(value)));
        }
    }
}
