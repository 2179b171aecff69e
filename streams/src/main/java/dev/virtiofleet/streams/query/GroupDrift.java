package dev.virtiofleet.streams.query;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Feature drift report of one group and device model.
 *
 * @param groupKey {@code group/device-model}
 * @param featureSets devices per distinct host feature set (canonical signature)
 * @param prevailing the prevailing signature, if the group has one
 * @param drifting the drift alerts firing in the group
 */
public record GroupDrift(String groupKey, Map<String, Integer> featureSets, Optional<String> prevailing, List<AlertView> drifting) {}
