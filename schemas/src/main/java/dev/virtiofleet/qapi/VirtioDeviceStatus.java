package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.List;
import java.util.Optional;

/** The device status byte as QEMU decodes it ({@code VIRTIO_CONFIG_S_*} entries). */
public record VirtioDeviceStatus(
        @JsonProperty(value = "statuses", required = true) List<String> statuses,
        @JsonProperty("unknown-statuses") Optional<Integer> unknownStatuses) {

    public VirtioDeviceStatus {
        statuses = QapiRanges.list("statuses", statuses);
        QapiRanges.required("unknown-statuses", unknownStatuses).ifPresent(v -> QapiRanges.uint8("unknown-statuses", v));
    }

    /** The status bits as symbols such as {@code VIRTIO_CONFIG_S_DRIVER_OK}. */
    public FeatureSet symbols() {
        return FeatureSet.parse(unknownStatuses.orElse(0), statuses);
    }
}
