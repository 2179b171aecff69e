package dev.virtiofleet.streams.drift;

import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.streams.alerts.Episode;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import java.util.Optional;

/**
 * One device of a group, as drift detection keeps it.
 *
 * @param device the device
 * @param signature its host feature signature
 * @param hostFeatures its host features
 * @param drift the firing drift alert, if it drifts
 */
public record Member(DeviceIdentity device, String signature, FeatureSet hostFeatures, Optional<Episode> drift) {

    Member withDrift(Optional<Episode> episode) {
        return new Member(device, signature, hostFeatures, episode);
    }
}
