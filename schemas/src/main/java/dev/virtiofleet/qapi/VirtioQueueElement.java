package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One element of a virtqueue with the ring headers: {@code x-query-virtio-queue-element}. */
public record VirtioQueueElement(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "index", required = true) long index,
        @JsonProperty(value = "descs", required = true) List<VirtioRingDesc> descs,
        @JsonProperty(value = "avail", required = true) VirtioRingAvail avail,
        @JsonProperty(value = "used", required = true) VirtioRingUsed used) {

    public VirtioQueueElement {
        QapiRanges.required("name", name);
        QapiRanges.uint32("index", index);
        descs = QapiRanges.list("descs", descs);
        QapiRanges.required("avail", avail);
        QapiRanges.required("used", used);
    }
}
