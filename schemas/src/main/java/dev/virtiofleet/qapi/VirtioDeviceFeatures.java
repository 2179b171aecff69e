package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.virtiofleet.qapi.features.FeatureSet;
import java.util.List;
import java.util.Optional;

/**
 * A feature word as QEMU decodes it: named transport features, named device features, and the
 * bits it has no name for. Entries keep QEMU's text ({@code "NAME: description"}); {@link
 * #symbols()} reduces them to stable symbols.
 */
public record VirtioDeviceFeatures(
        @JsonProperty(value = "transports", required = true) List<String> transports,
        @JsonProperty("dev-features") Optional<List<String>> devFeatures,
        @JsonProperty("unknown-dev-features") @Uint64.OptionalMember Optional<Long> unknownDevFeatures) {

    public VirtioDeviceFeatures {
        transports = QapiRanges.list("transports", transports);
        devFeatures = QapiRanges.required("dev-features", devFeatures).map(List::copyOf);
        QapiRanges.required("unknown-dev-features", unknownDevFeatures);
    }

    /** Transport and device features as symbols, plus unknown bits; unparseable entries kept aside. */
    public FeatureSet symbols() {
        return FeatureSet.parse(unknownDevFeatures.orElse(0L), transports, devFeatures.orElse(List.of()));
    }
}
