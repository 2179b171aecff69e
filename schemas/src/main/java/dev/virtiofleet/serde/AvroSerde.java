package dev.virtiofleet.serde;

import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for one generated Avro record type. {@code null} stays {@code null} both ways, so
 * tombstones on compacted topics pass through.
 */
public final class AvroSerde<T extends SpecificRecordBase> implements Serde<T> {
    private final Class<T> type;
    private final AvroWireFormat wireFormat;

    public AvroSerde(Class<T> type, AvroWireFormat wireFormat) {
        this.type = Objects.requireNonNull(type, "type");
        this.wireFormat = Objects.requireNonNull(wireFormat, "wireFormat");
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, record) -> record == null ? null : wireFormat.write(topic, record);
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, bytes) -> bytes == null ? null : wireFormat.read(topic, bytes, type);
    }

    public Class<T> type() {
        return type;
    }
}
