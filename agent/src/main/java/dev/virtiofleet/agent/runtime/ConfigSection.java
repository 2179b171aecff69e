package dev.virtiofleet.agent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.virtiofleet.agent.config.ConfigException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One mapping of the YAML configuration, read key by key with typed getters. Every key read is
 * remembered, so {@link #rejectUnknownKeys} can name a misspelt key instead of silently ignoring it;
 * every type error names the full key, the value and what is allowed.
 */
final class ConfigSection {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern BYTES = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|TiB)?");

    private final String prefix;
    private final JsonNode node;
    private final Set<String> known = new LinkedHashSet<>();
    private final List<ConfigSection> children = new ArrayList<>();

    private ConfigSection(String prefix, JsonNode node) {
        this.prefix = prefix;
        this.node = node;
    }

    /** The top level of a configuration document ({@code null} or missing: an empty file). */
    static ConfigSection root(JsonNode document) {
        JsonNode top = document == null || document.isNull() ? MissingNode.getInstance() : document;
        if (!top.isMissingNode() && !top.isObject()) {
            throw new ConfigException("(top level)", abbreviate(top), "a mapping of keys such as host-id, poll, publish, kafka");
        }
        return new ConfigSection("", top);
    }

    private String key(String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    private Optional<JsonNode> value(String name) {
        known.add(name);
        JsonNode value = node.path(name);
        return value.isMissingNode() || value.isNull() ? Optional.empty() : Optional.of(value);
    }

    ConfigSection section(String name) {
        JsonNode value = value(name).orElse(MissingNode.getInstance());
        if (!value.isMissingNode() && !value.isObject()) {
            throw new ConfigException(key(name), abbreviate(value), "a mapping of keys");
        }
        ConfigSection child = new ConfigSection(key(name), value);
        children.add(child);
        return child;
    }

    Optional<String> text(String name) {
        return value(name).map(v -> {
            if (!v.isValueNode() || v.asText().isBlank()) {
                throw new ConfigException(key(name), abbreviate(v), "a non-empty text value");
            }
            return v.asText();
        });
    }

    String text(String name, String defaultValue) {
        return text(name).orElse(defaultValue);
    }

    int integer(String name, int defaultValue) {
        return value(name).map(v -> {
            if (!v.canConvertToInt() || !v.isIntegralNumber()) {
                throw new ConfigException(key(name), abbreviate(v), "a whole number");
            }
            return v.intValue();
        }).orElse(defaultValue);
    }

    double number(String name, double defaultValue) {
        return value(name).map(v -> {
            if (!v.isNumber()) {
                throw new ConfigException(key(name), abbreviate(v), "a number");
            }
            return v.doubleValue();
        }).orElse(defaultValue);
    }

    boolean bool(String name, boolean defaultValue) {
        return value(name).map(v -> {
            if (!v.isBoolean()) {
                throw new ConfigException(key(name), abbreviate(v), "true or false");
            }
            return v.booleanValue();
        }).orElse(defaultValue);
    }

    /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, or ISO-8601 such as {@code PT10S}. */
    Duration duration(String name, Duration defaultValue) {
        return value(name).map(v -> {
            String text = v.asText().strip();
            Matcher simple = DURATION.matcher(text);
            if (v.isTextual() && simple.matches()) {
                long amount = Long.parseLong(simple.group(1));
                return switch (simple.group(2)) {
                    case "ms" -> Duration.ofMillis(amount);
                    case "s" -> Duration.ofSeconds(amount);
                    case "m" -> Duration.ofMinutes(amount);
                    default -> Duration.ofHours(amount);
                };
            }
            try {
                if (v.isTextual() && text.toUpperCase(Locale.ROOT).startsWith("P")) {
                    return Duration.parse(text);
                }
            } catch (DateTimeParseException e) {
                // reported below, with what is allowed
            }
            throw new ConfigException(key(name), abbreviate(v), "a duration such as 500ms, 10s, 2m, 1h or PT10S");
        }).orElse(defaultValue);
    }

    /** A byte count: a whole number, or with a binary unit such as {@code 64MiB}, {@code 1GiB}. */
    long bytes(String name, long defaultValue) {
        return value(name).map(v -> {
            if (v.isIntegralNumber() && v.canConvertToLong() && v.longValue() >= 0) {
                return v.longValue();
            }
            Matcher matcher = BYTES.matcher(v.asText().strip());
            if (v.isTextual() && matcher.matches()) {
                int shift = switch (matcher.group(2) == null ? "B" : matcher.group(2)) {
                    case "KiB" -> 10;
                    case "MiB" -> 20;
                    case "GiB" -> 30;
                    case "TiB" -> 40;
                    default -> 0;
                };
                try {
                    return Math.multiplyExact(Long.parseLong(matcher.group(1)), 1L << shift);
                } catch (ArithmeticException | NumberFormatException e) {
                    // too large: reported below
                }
            }
            throw new ConfigException(key(name), abbreviate(v), "a byte count such as 1048576, 64MiB or 1GiB");
        }).orElse(defaultValue);
    }

    List<String> texts(String name, List<String> defaultValue) {
        return value(name).map(v -> {
            if (!v.isArray()) {
                throw new ConfigException(key(name), abbreviate(v), "a list of text values");
            }
            List<String> items = new ArrayList<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode item = v.get(i);
                if (!item.isValueNode() || item.isNull() || item.asText().isBlank()) {
                    throw new ConfigException(key(name) + "[" + i + "]", abbreviate(item), "a non-empty text value");
                }
                items.add(item.asText());
            }
            return List.copyOf(items);
        }).orElse(defaultValue);
    }

    /** A flat mapping of names to scalar values, kept as text (Kafka client properties). */
    Map<String, String> scalars(String name) {
        JsonNode v = value(name).orElse(MissingNode.getInstance());
        if (v.isMissingNode()) {
            return Map.of();
        }
        if (!v.isObject()) {
            throw new ConfigException(key(name), abbreviate(v), "a mapping of property names to values");
        }
        Map<String, String> properties = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : v.properties()) {
            JsonNode item = entry.getValue();
            if (!item.isValueNode() || item.isNull()) {
                throw new ConfigException(key(name) + "." + entry.getKey(), abbreviate(item),
                        "a single value (write dotted property names in full, e.g. bootstrap.servers: host:9092)");
            }
            properties.put(entry.getKey(), item.asText());
        }
        return Map.copyOf(properties);
    }

    /** Fails on the first key in this section or below that no getter asked for. */
    void rejectUnknownKeys() {
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            if (!known.contains(entry.getKey())) {
                throw new ConfigException(key(entry.getKey()), abbreviate(entry.getValue()),
                        "no such key" + (known.isEmpty() ? "" : "; known keys" + (prefix.isEmpty() ? "" : " under " + prefix)
                                + ": " + String.join(", ", known)));
            }
        }
        children.forEach(ConfigSection::rejectUnknownKeys);
    }

    private static String abbreviate(JsonNode value) {
        String text = value.isTextual() ? "'" + value.asText() + "'" : value.toString();
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }
}
