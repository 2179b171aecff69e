package dev.virtiofleet.streams.config;

/** A configuration value that is not allowed; the message names the key, the value and what is allowed. */
public final class ConfigException extends RuntimeException {
    private final String key;
    private final String value;
    private final String allowed;

    public ConfigException(String key, String value, String allowed) {
        super("config key '" + key + "' has value '" + value + "': " + allowed);
        this.key = key;
        this.value = value;
        this.allowed = allowed;
    }

    /** The same complaint about a key read under a prefix (e.g. {@code detect.}). */
    public ConfigException withKeyPrefix(String prefix) {
        return new ConfigException(prefix + key, value, allowed);
    }
}
