package dev.virtiofleet.agent.poll;

import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioStatus;

/**
 * What the poller keeps of a device's status: what it needs to read the queues, and the status as
 * samples carry it. Made once per distinct reply ({@link ReplyMemo}) and kept between sweeps for
 * every device of every VM, so it holds no more than that (the decoded QAPI record, with its
 * feature texts, is several KiB a device). Consecutive samples of an unchanged device share
 * {@code published}: nothing may modify it (samples are serialized as they are made, never changed),
 * and it is serialized from the bytes it was first encoded to ({@link EncodedOnceStatus}).
 *
 * @param vhostUser the vhost-user rule's verdict ({@link VhostUserRule}): queue status must not be read
 */
record DecodedStatus(long numVqs, boolean vhostStarted, boolean vhostUser, dev.virtiofleet.avro.VirtioStatus published) {

    static DecodedStatus of(VirtioInfo listed, VirtioStatus read) {
        return new DecodedStatus(read.numVqs(), read.vhostStarted(), VhostUserRule.forbidsQueueStatus(listed.name(), read),
                new EncodedOnceStatus(QapiToAvro.status(read)));
    }
}
