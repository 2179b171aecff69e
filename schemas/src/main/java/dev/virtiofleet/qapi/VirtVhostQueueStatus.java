package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A vhost virtqueue as QEMU holds it ({@code x-query-virtio-vhost-queue-status}); QEMU-side state
 * only, so safe to read on a vhost-user device.
 */
public record VirtVhostQueueStatus(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "kick", required = true) long kick,
        @JsonProperty(value = "call", required = true) long call,
        @JsonProperty(value = "desc", required = true) @Uint64.Member long desc,
        @JsonProperty(value = "avail", required = true) @Uint64.Member long avail,
        @JsonProperty(value = "used", required = true) @Uint64.Member long used,
        @JsonProperty(value = "num", required = true) long num,
        @JsonProperty(value = "desc-phys", required = true) @Uint64.Member long descPhys,
        @JsonProperty(value = "desc-size", required = true) long descSize,
        @JsonProperty(value = "avail-phys", required = true) @Uint64.Member long availPhys,
        @JsonProperty(value = "avail-size", required = true) long availSize,
        @JsonProperty(value = "used-phys", required = true) @Uint64.Member long usedPhys,
        @JsonProperty(value = "used-size", required = true) long usedSize) {

    public VirtVhostQueueStatus {
        QapiRanges.required("name", name);
        QapiRanges.uint32("desc-size", descSize);
        QapiRanges.uint32("avail-size", availSize);
        QapiRanges.uint32("used-size", usedSize);
    }
}
