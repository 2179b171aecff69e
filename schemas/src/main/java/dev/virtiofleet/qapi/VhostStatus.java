package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The vhost side of a device; QEMU reports it only while the vhost backend is started. */
public record VhostStatus(
        @JsonProperty(value = "n-mem-sections", required = true) long nMemSections,
        @JsonProperty(value = "n-tmp-sections", required = true) long nTmpSections,
        @JsonProperty(value = "nvqs", required = true) long nvqs,
        @JsonProperty(value = "vq-index", required = true) long vqIndex,
        @JsonProperty(value = "features", required = true) VirtioDeviceFeatures features,
        @JsonProperty(value = "acked-features", required = true) VirtioDeviceFeatures ackedFeatures,
        @JsonProperty(value = "backend-features", required = true) VirtioDeviceFeatures backendFeatures,
        @JsonProperty(value = "protocol-features", required = true) VhostDeviceProtocols protocolFeatures,
        @JsonProperty(value = "max-queues", required = true) @Uint64.Member long maxQueues,
        @JsonProperty(value = "backend-cap", required = true) @Uint64.Member long backendCap,
        @JsonProperty(value = "log-enabled", required = true) boolean logEnabled,
        @JsonProperty(value = "log-size", required = true) @Uint64.Member long logSize) {

    public VhostStatus {
        QapiRanges.uint32("nvqs", nvqs);
        QapiRanges.required("features", features);
        QapiRanges.required("acked-features", ackedFeatures);
        QapiRanges.required("backend-features", backendFeatures);
        QapiRanges.required("protocol-features", protocolFeatures);
    }
}
