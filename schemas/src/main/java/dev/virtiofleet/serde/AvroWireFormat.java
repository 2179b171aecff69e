package dev.virtiofleet.serde;

import org.apache.avro.specific.SpecificRecordBase;

/**
 * How Avro records become Kafka record bytes. The default, {@link SingleObjectWireFormat}, needs
 * no schema registry; a registry-backed format (e.g. Confluent's magic byte and schema id) plugs in
 * here without touching producers or Streams topologies.
 */
public interface AvroWireFormat {

    byte[] write(String topic, SpecificRecordBase record);

    /**
     * Reads bytes written by any known version of {@code type}'s schema, resolved to the current one.
     *
     * @throws org.apache.kafka.common.errors.SerializationException naming the topic and the
     *     problem when the bytes are not a record of a known schema
     */
    <T extends SpecificRecordBase> T read(String topic, byte[] bytes, Class<T> type);
}
