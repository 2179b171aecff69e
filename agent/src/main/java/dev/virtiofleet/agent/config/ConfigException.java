package dev.virtiofleet.agent.config;

/** A configuration value that is not allowed; the message names the key, the value and what is allowed. */
public final class ConfigException extends IllegalArgumentException {
    private final String key;

    public ConfigException(String key, Object value, String allowed) {
        super("configuration key '" + key + "' = " + value + " is not allowed: " + allowed);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
