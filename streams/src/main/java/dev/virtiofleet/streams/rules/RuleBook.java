package dev.virtiofleet.streams.rules;

import dev.virtiofleet.streams.config.DetectionConfig;
import java.util.List;
import java.util.stream.Stream;

/** The enabled rules, in the order their alerts are emitted for one sample. */
public final class RuleBook {
    private final List<DeviceRule> deviceRules;
    private final List<QueueRule> queueRules;

    public RuleBook(DetectionConfig config) {
        this.deviceRules = Stream.<DeviceRule>of(new DeviceBrokenRule(), new FeatureViolationRule(), new VhostDesyncRule(),
                        new NegotiationDegradedRule(config.requiredFeatures()))
                .filter(rule -> config.rule(rule.kind()).enabled())
                .toList();
        this.queueRules = Stream.<QueueRule>of(new QueueStalledRule(), new NotificationLostRule(), new CompletionNotSignalledRule())
                .filter(rule -> config.rule(rule.kind()).enabled())
                .toList();
    }

    public List<DeviceRule> deviceRules() {
        return deviceRules;
    }

    public List<QueueRule> queueRules() {
        return queueRules;
    }
}
