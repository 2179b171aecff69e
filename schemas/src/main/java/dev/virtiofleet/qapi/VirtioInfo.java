package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One realized virtio device, as listed by {@code x-query-virtio}. */
public record VirtioInfo(
        @JsonProperty(value = "path", required = true) String path,
        @JsonProperty(value = "name", required = true) String name) {

    public VirtioInfo {
        QapiRanges.required("path", path);
        QapiRanges.required("name", name);
    }
}
