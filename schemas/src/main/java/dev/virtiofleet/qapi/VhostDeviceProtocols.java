package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.List;
import java.util.Optional;

/**
 * Negotiated vhost-user protocol features. A non-empty list means a vhost-user backend, whose ring
 * must not be queried with {@code x-query-virtio-queue-status} (see DESIGN.md).
 */
public record VhostDeviceProtocols(
        @JsonProperty(value = "protocols", required = true) List<String> protocols,
        @JsonProperty("unknown-protocols") @Uint64.OptionalMember Optional<Long> unknownProtocols) {

    public VhostDeviceProtocols {
        protocols = QapiRanges.list("protocols", protocols);
        QapiRanges.required("unknown-protocols", unknownProtocols);
    }

    public FeatureSet symbols() {
        return FeatureSet.parse(unknownProtocols.orElse(0L), protocols);
    }
}
