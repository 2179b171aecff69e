package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The driver's avail ring header, read from guest memory: {@code idx} is the live avail index
 * (QEMU's {@code shadow-avail-idx} may lag it), {@code flags} bit 0 suppresses interrupts.
 */
public record VirtioRingAvail(
        @JsonProperty(value = "flags", required = true) int flags,
        @JsonProperty(value = "idx", required = true) int idx,
        @JsonProperty(value = "ring", required = true) int ring) {

    public VirtioRingAvail {
        QapiRanges.uint16("flags", flags);
        QapiRanges.uint16("idx", idx);
        QapiRanges.uint16("ring", ring);
    }
}
