package dev.virtiofleet.streams.config;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which fleet group a host belongs to. Samples carry no labels, so the group is read from the host
 * id: with a pattern, the first capture group of its first match (e.g. {@code ^(rack-\d+)\.} puts
 * {@code rack-7.hv-0001} into {@code rack-7}); hosts the pattern does not match are in no group
 * and are not judged for drift. Without a pattern the whole fleet is one group, {@code fleet}.
 */
public record FleetGroups(Optional<Pattern> hostPattern) {
    public static final String WHOLE_FLEET = "fleet";

    public static FleetGroups wholeFleet() {
        return new FleetGroups(Optional.empty());
    }

    public Optional<String> groupOf(String hostId) {
        if (hostPattern.isEmpty()) {
            return Optional.of(WHOLE_FLEET);
        }
        Matcher matcher = hostPattern.get().matcher(hostId);
        if (!matcher.find()) {
            return Optional.empty();
        }
        return Optional.of(matcher.groupCount() >= 1 && matcher.group(1) != null ? matcher.group(1) : matcher.group());
    }
}
