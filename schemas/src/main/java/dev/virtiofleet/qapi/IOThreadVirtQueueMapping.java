package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/** Which virtqueues an IOThread serves (virtio-blk {@code iothread-vq-mapping}). */
public record IOThreadVirtQueueMapping(
        @JsonProperty(value = "iothread", required = true) String iothread,
        @JsonProperty("vqs") Optional<List<Integer>> vqs) {

    public IOThreadVirtQueueMapping {
        QapiRanges.required("iothread", iothread);
        vqs = QapiRanges.required("vqs", vqs).map(List::copyOf);
        vqs.ifPresent(queues -> queues.forEach(q -> QapiRanges.uint16("vqs", q)));
    }
}
