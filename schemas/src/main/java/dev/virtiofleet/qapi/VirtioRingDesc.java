package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** One descriptor of a queue element; flags as QEMU names them ("next", "write", "indirect"). */
public record VirtioRingDesc(
        @JsonProperty(value = "addr", required = true) @Uint64.Member long addr,
        @JsonProperty(value = "len", required = true) long len,
        @JsonProperty(value = "flags", required = true) List<String> flags) {

    public VirtioRingDesc {
        QapiRanges.uint32("len", len);
        flags = QapiRanges.list("flags", flags);
    }
}
