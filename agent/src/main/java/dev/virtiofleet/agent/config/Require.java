package dev.virtiofleet.agent.config;

import java.time.Duration;

/** Validation for configuration records, so every check words its error the same way. */
public final class Require {
    private Require() {}

    public static Duration positive(String key, Duration value) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new ConfigException(key, value, "a positive duration");
        }
        return value;
    }

    public static Duration atLeast(String key, Duration value, Duration minimum) {
        positive(key, value);
        if (value.compareTo(minimum) < 0) {
            throw new ConfigException(key, value, "a duration of at least " + minimum);
        }
        return value;
    }

    public static int inRange(String key, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ConfigException(key, value, "an integer from " + min + " to " + max);
        }
        return value;
    }

    public static double inRange(String key, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw new ConfigException(key, value, "a number from " + min + " to " + max);
        }
        return value;
    }
}
