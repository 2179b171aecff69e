package dev.virtiofleet.streams.config;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.avro.Severity;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Collectors;

/**
 * Every threshold of detection, declared once with its default. Read from flat keys:
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code rules.<rule>.enabled}</td><td>true</td><td>evaluate the rule</td></tr>
 *   <tr><td>{@code rules.<rule>.fire-after}</td><td>30s for queue-stalled, notification-lost,
 *       completion-not-signalled; 0s for the device rules</td><td>how long the condition must hold
 *       (running VM time for queue rules)</td></tr>
 *   <tr><td>{@code rules.<rule>.fire-after.<device-name>}</td><td>queue-stalled: virtio-serial 120s
 *       (a host-side port reader may be slow), virtio-user-fs 300s (FUSE lock waits block
 *       legitimately), virtio-rng 120s (a rate-limited backend holds requests for up to one
 *       period)</td><td>per device model</td></tr>
 *   <tr><td>{@code rules.<rule>.resolve-after}</td><td>30s</td><td>hold-down before RESOLVED</td></tr>
 *   <tr><td>{@code rules.<rule>.severity}</td><td>per rule, see {@link #defaults()}</td><td>INFO, WARNING, CRITICAL</td></tr>
 *   <tr><td>{@code required-features}</td><td>VIRTIO_F_VERSION_1</td><td>comma-separated symbols every
 *       DRIVER_OK device must have negotiated</td></tr>
 *   <tr><td>{@code device-gone-after}</td><td>60s</td><td>a device with no sample for this long (stream
 *       time) is resolved and tombstoned; six 10 s poll intervals</td></tr>
 *   <tr><td>{@code health-refresh-after}</td><td>1m</td><td>a device's record on the health topic is
 *       published when its content changes (verdict, alerts, status, features, queues, VM running) and
 *       otherwise renewed after this much sample time; 0s publishes every sample (see
 *       {@code HealthPublisher})</td></tr>
 *   <tr><td>{@code group-pattern}</td><td>none: the whole fleet is one group</td><td>regular expression
 *       on the host id whose first capture group names the fleet group (see {@link FleetGroups})</td></tr>
 *   <tr><td>{@code agent-silent.poll-intervals}</td><td>3</td><td>an agent is silent after this many of
 *       its poll intervals without a heartbeat (wall clock); {@code rules.agent-silent.fire-after} is a
 *       floor on top</td></tr>
 * </table>
 *
 * <p>feature-drift takes only enabled and severity: it fires on the feature report that shows the
 * difference and resolves on the one that shows it gone (feature sets change only when a VM is
 * reconfigured). agent-silent takes enabled, severity and fire-after (a floor under its poll-interval
 * threshold); a heartbeat resolves it at once.
 *
 * <p>{@code <rule>} is the alert kind in kebab case: queue-stalled, notification-lost,
 * completion-not-signalled, device-broken, feature-violation, vhost-desync, negotiation-degraded,
 * feature-drift, agent-silent.
 * Durations are {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h} or ISO-8601 ({@code PT30S}).
 */
public record DetectionConfig(Map<AlertKind, RuleSettings> rules, Set<String> requiredFeatures, Duration deviceGoneAfter,
        Duration healthRefreshAfter, FleetGroups groups, int agentSilentPollIntervals) {

    /** Every rule of DESIGN.md's detection table. */
    public static final List<AlertKind> RULES = List.of(
            AlertKind.QUEUE_STALLED, AlertKind.NOTIFICATION_LOST, AlertKind.COMPLETION_NOT_SIGNALLED,
            AlertKind.DEVICE_BROKEN, AlertKind.FEATURE_VIOLATION, AlertKind.VHOST_DESYNC,
            AlertKind.NEGOTIATION_DEGRADED, AlertKind.FEATURE_DRIFT, AlertKind.AGENT_SILENT);

    private static final Pattern RULE_KEY = Pattern.compile("rules\\.([a-z-]+)\\.(enabled|fire-after|resolve-after|severity)(?:\\.(.+))?");
    private static final Pattern SHORT_DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final String REQUIRED_FEATURES = "required-features";
    private static final String DEVICE_GONE_AFTER = "device-gone-after";
    private static final String HEALTH_REFRESH_AFTER = "health-refresh-after";
    private static final String GROUP_PATTERN = "group-pattern";
    private static final String AGENT_SILENT_POLL_INTERVALS = "agent-silent.poll-intervals";

    public DetectionConfig {
        rules = Map.copyOf(new EnumMap<>(rules));
        requiredFeatures = Set.copyOf(requiredFeatures);
        for (AlertKind kind : RULES) {
            if (!rules.containsKey(kind)) {
                throw new IllegalArgumentException("no settings for rule " + kind);
            }
        }
        if (deviceGoneAfter.isNegative() || deviceGoneAfter.isZero()) {
            throw new ConfigException(DEVICE_GONE_AFTER, deviceGoneAfter.toString(), "must be a positive duration");
        }
        if (healthRefreshAfter.isNegative()) {
            throw new ConfigException(HEALTH_REFRESH_AFTER, healthRefreshAfter.toString(), "must not be negative");
        }
        if (agentSilentPollIntervals < 1) {
            throw new ConfigException(AGENT_SILENT_POLL_INTERVALS, Integer.toString(agentSilentPollIntervals), "a whole number, 1 or more");
        }
    }

    public RuleSettings rule(AlertKind kind) {
        RuleSettings settings = rules.get(kind);
        if (settings == null) {
            throw new IllegalArgumentException("no settings for rule " + kind);
        }
        return settings;
    }

    public static DetectionConfig defaults() {
        return fromProperties(Map.of());
    }

    /** Reads the keys above over the defaults; an unknown key or a bad value is a {@link ConfigException}. */
    public static DetectionConfig fromProperties(Map<String, String> properties) {
        Map<AlertKind, RuleBuilder> rules = new EnumMap<>(AlertKind.class);
        for (AlertKind kind : RULES) {
            rules.put(kind, RuleBuilder.defaultsFor(kind));
        }
        Set<String> required = new LinkedHashSet<>(Set.of("VIRTIO_F_VERSION_1"));
        Duration goneAfter = Duration.ofSeconds(60);
        Duration healthRefresh = Duration.ofMinutes(1);
        FleetGroups groups = FleetGroups.wholeFleet();
        int silentIntervals = 3;
        for (Map.Entry<String, String> entry : new TreeMap<>(properties).entrySet()) {
            String key = entry.getKey();
            String value = entry.getValue().strip();
            if (key.equals(REQUIRED_FEATURES)) {
                required = Arrays.stream(value.split(","))
                        .map(String::strip)
                        .filter(s -> !s.isEmpty())
                        .collect(Collectors.toCollection(LinkedHashSet::new));
                for (String symbol : required) {
                    if (!symbol.matches("[A-Z][A-Z0-9_]*")) {
                        throw new ConfigException(key, value, "a comma-separated list of feature symbols such as VIRTIO_F_VERSION_1");
                    }
                }
                continue;
            }
            if (key.equals(DEVICE_GONE_AFTER)) {
                goneAfter = positiveDuration(key, value);
                continue;
            }
            if (key.equals(HEALTH_REFRESH_AFTER)) {
                healthRefresh = nonNegativeDuration(key, value);
                continue;
            }
            if (key.equals(GROUP_PATTERN)) {
                try {
                    groups = new FleetGroups(Optional.of(Pattern.compile(value)));
                } catch (PatternSyntaxException e) {
                    throw new ConfigException(key, value, "a Java regular expression (" + e.getDescription() + ")");
                }
                continue;
            }
            if (key.equals(AGENT_SILENT_POLL_INTERVALS)) {
                try {
                    silentIntervals = Integer.parseInt(value);
                } catch (NumberFormatException e) {
                    throw new ConfigException(key, value, "a whole number, 1 or more");
                }
                continue;
            }
            Matcher matcher = RULE_KEY.matcher(key);
            if (!matcher.matches()) {
                throw new ConfigException(key, value, "unknown key; allowed: rules.<rule>.{enabled,fire-after,fire-after.<device-name>,"
                        + "resolve-after,severity}, " + REQUIRED_FEATURES + ", " + DEVICE_GONE_AFTER + ", " + HEALTH_REFRESH_AFTER + ", "
                        + GROUP_PATTERN + ", "
                        + AGENT_SILENT_POLL_INTERVALS);
            }
            AlertKind kind = kindOf(key, matcher.group(1));
            RuleBuilder rule = rules.get(kind);
            String setting = matcher.group(2);
            String device = matcher.group(3);
            if (device != null && !setting.equals("fire-after")) {
                throw new ConfigException(key, value, "only fire-after can be set per device model");
            }
            if (!settableFor(kind).contains(setting)) {
                throw new ConfigException(key, value, ruleName(kind) + " takes only " + settableFor(kind)
                        + (kind == AlertKind.FEATURE_DRIFT ? " (it fires when a feature report shows the difference and resolves when one shows it gone)"
                                : " (a heartbeat ends the silence at once)"));
            }
            switch (setting) {
                case "enabled" -> rule.enabled = bool(key, value);
                case "fire-after" -> {
                    Duration duration = nonNegativeDuration(key, value);
                    if (device == null) {
                        rule.fireAfter = duration;
                    } else {
                        rule.fireAfterByDevice.put(device, duration);
                    }
                }
                case "resolve-after" -> rule.resolveAfter = nonNegativeDuration(key, value);
                case "severity" -> rule.severity = severity(key, value);
                default -> throw new IllegalStateException(setting);
            }
        }
        Map<AlertKind, RuleSettings> built = new EnumMap<>(AlertKind.class);
        rules.forEach((kind, builder) -> built.put(kind, builder.build()));
        return new DetectionConfig(built, required, goneAfter, healthRefresh, groups, silentIntervals);
    }

    /** Which settings a rule has: drift and agent silence are decided by reports and heartbeats, not by sample clocks. */
    private static List<String> settableFor(AlertKind kind) {
        return switch (kind) {
            case FEATURE_DRIFT -> List.of("enabled", "severity");
            case AGENT_SILENT -> List.of("enabled", "fire-after", "severity");
            default -> List.of("enabled", "fire-after", "resolve-after", "severity");
        };
    }

    /** {@code QUEUE_STALLED} as {@code queue-stalled}. */
    public static String ruleName(AlertKind kind) {
        return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static AlertKind kindOf(String key, String name) {
        for (AlertKind kind : RULES) {
            if (ruleName(kind).equals(name)) {
                return kind;
            }
        }
        throw new ConfigException(key, name, "unknown rule; allowed: "
                + RULES.stream().map(DetectionConfig::ruleName).collect(Collectors.joining(", ")));
    }

    private static boolean bool(String key, String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(key, value, "true or false");
        };
    }

    private static Severity severity(String key, String value) {
        try {
            return Severity.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, value, "one of " + new TreeSet<>(Arrays.stream(Severity.values()).map(Enum::name).toList()));
        }
    }

    private static Duration positiveDuration(String key, String value) {
        Duration duration = nonNegativeDuration(key, value);
        if (duration.isZero()) {
            throw new ConfigException(key, value, "a positive duration");
        }
        return duration;
    }

    /** A duration in the accepted forms, not negative; a {@link ConfigException} naming {@code key} otherwise. */
    public static Duration duration(String key, String value) {
        return nonNegativeDuration(key, value);
    }

    static Duration nonNegativeDuration(String key, String value) {
        String allowed = "a duration such as 500ms, 30s, 2m, 1h or PT30S, not negative";
        Matcher matcher = SHORT_DURATION.matcher(value);
        Duration duration;
        try {
            if (matcher.matches()) {
                long amount = Long.parseLong(matcher.group(1));
                duration = switch (matcher.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                };
            } else {
                duration = Duration.parse(value);
            }
        } catch (DateTimeParseException | NumberFormatException | ArithmeticException e) {
            throw new ConfigException(key, value, allowed);
        }
        if (duration.isNegative()) {
            throw new ConfigException(key, value, allowed);
        }
        return duration;
    }

    private static final class RuleBuilder {
        boolean enabled = true;
        Duration fireAfter;
        final Map<String, Duration> fireAfterByDevice = new HashMap<>();
        Duration resolveAfter = Duration.ofSeconds(30);
        Severity severity;

        static RuleBuilder defaultsFor(AlertKind kind) {
            RuleBuilder rule = new RuleBuilder();
            switch (kind) {
                case QUEUE_STALLED -> {
                    rule.fireAfter = Duration.ofSeconds(30);
                    rule.fireAfterByDevice.put("virtio-serial", Duration.ofSeconds(120));
                    rule.fireAfterByDevice.put("virtio-user-fs", Duration.ofSeconds(300));
                    rule.fireAfterByDevice.put("virtio-rng", Duration.ofSeconds(120));
                    rule.severity = Severity.CRITICAL;
                }
                case NOTIFICATION_LOST -> {
                    rule.fireAfter = Duration.ofSeconds(30);
                    rule.severity = Severity.CRITICAL;
                }
                case COMPLETION_NOT_SIGNALLED -> {
                    rule.fireAfter = Duration.ofSeconds(30);
                    rule.severity = Severity.WARNING;
                }
                case DEVICE_BROKEN, VHOST_DESYNC -> {
                    rule.fireAfter = Duration.ZERO;
                    rule.severity = Severity.CRITICAL;
                }
                case FEATURE_VIOLATION, NEGOTIATION_DEGRADED -> {
                    rule.fireAfter = Duration.ZERO;
                    rule.severity = Severity.WARNING;
                }
                case FEATURE_DRIFT, AGENT_SILENT -> {
                    rule.fireAfter = Duration.ZERO;
                    rule.resolveAfter = Duration.ZERO;
                    rule.severity = Severity.WARNING;
                }
                default -> throw new IllegalArgumentException("not a device rule: " + kind);
            }
            return rule;
        }

        RuleSettings build() {
            return new RuleSettings(enabled, fireAfter, fireAfterByDevice, resolveAfter, severity);
        }
    }
}
