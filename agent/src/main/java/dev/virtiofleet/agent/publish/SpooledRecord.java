package dev.virtiofleet.agent.publish;

/**
 * One Kafka record's bytes waiting to be sent, in the order it was made.
 *
 * @param key the record key (host/VM/device), UTF-8
 * @param value the Avro single-object encoded sample
 */
public record SpooledRecord(byte[] key, byte[] value) {

    public int size() {
        return key.length + value.length;
    }
}
