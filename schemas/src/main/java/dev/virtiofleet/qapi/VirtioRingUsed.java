package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The device's used ring header, read from guest memory. */
public record VirtioRingUsed(
        @JsonProperty(value = "flags", required = true) int flags,
        @JsonProperty(value = "idx", required = true) int idx) {

    public VirtioRingUsed {
        QapiRanges.uint16("flags", flags);
        QapiRanges.uint16("idx", idx);
    }
}
