package dev.virtiofleet.agent.poll;

import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.VirtioStatus;

/**
 * A device's status as the poller reads it and as samples carry it. Mapped once per distinct
 * reply ({@link ReplyMemo}), so consecutive samples of an unchanged device share {@code published}:
 * nothing may modify it (samples are serialized as they are made, never changed).
 */
record DecodedStatus(VirtioStatus read, dev.virtiofleet.avro.VirtioStatus published) {

    static DecodedStatus of(VirtioStatus read) {
        return new DecodedStatus(read, QapiToAvro.status(read));
    }
}
