package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/**
 * One virtqueue as QEMU's device model sees it: {@code x-query-virtio-queue-status}. Ring indices
 * are free-running 16-bit counters; compare them modulo 65536.
 */
public record VirtQueueStatus(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "queue-index", required = true) int queueIndex,
        @JsonProperty(value = "inuse", required = true) long inuse,
        @JsonProperty(value = "vring-num", required = true) long vringNum,
        @JsonProperty(value = "vring-num-default", required = true) long vringNumDefault,
        @JsonProperty(value = "vring-align", required = true) long vringAlign,
        @JsonProperty(value = "vring-desc", required = true) @Uint64.Member long vringDesc,
        @JsonProperty(value = "vring-avail", required = true) @Uint64.Member long vringAvail,
        @JsonProperty(value = "vring-used", required = true) @Uint64.Member long vringUsed,
        @JsonProperty("last-avail-idx") Optional<Integer> lastAvailIdx,
        @JsonProperty("shadow-avail-idx") Optional<Integer> shadowAvailIdx,
        @JsonProperty(value = "used-idx", required = true) int usedIdx,
        @JsonProperty(value = "signalled-used", required = true) int signalledUsed,
        @JsonProperty(value = "signalled-used-valid", required = true) boolean signalledUsedValid) {

    public VirtQueueStatus {
        QapiRanges.required("name", name);
        QapiRanges.uint16("queue-index", queueIndex);
        QapiRanges.uint32("inuse", inuse);
        QapiRanges.uint32("vring-num", vringNum);
        QapiRanges.uint32("vring-num-default", vringNumDefault);
        QapiRanges.uint32("vring-align", vringAlign);
        QapiRanges.required("last-avail-idx", lastAvailIdx).ifPresent(v -> QapiRanges.uint16("last-avail-idx", v));
        QapiRanges.required("shadow-avail-idx", shadowAvailIdx).ifPresent(v -> QapiRanges.uint16("shadow-avail-idx", v));
        QapiRanges.uint16("used-idx", usedIdx);
        QapiRanges.uint16("signalled-used", signalledUsed);
    }
}
