package dev.virtiofleet.agent.config;

/**
 * A configured {@code host:port} ({@code [v6-address]:port} for IPv6), split and checked.
 *
 * @param port at least the {@code lowestPort} it was parsed with, at most 65535
 */
public record HostPort(String host, int port) {

    /**
     * @param lowestPort 1 for an address to connect to; 0 for one to listen on, where 0 picks a free port
     */
    public static HostPort parse(String key, String entry, int lowestPort) {
        String allowed = "host:port or [ipv6-address]:port with a port from " + lowestPort + " to 65535"
                + (lowestPort == 0 ? " (0 picks a free one)" : "");
        if (entry == null) {
            throw new ConfigException(key, null, allowed);
        }
        int colon = entry.lastIndexOf(':');
        if (colon <= 0 || colon == entry.length() - 1) {
            throw new ConfigException(key, entry, allowed);
        }
        String host = entry.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new ConfigException(key, entry, allowed + " (put IPv6 addresses in brackets)");
        }
        int port;
        try {
            port = Integer.parseInt(entry.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, entry, allowed);
        }
        if (host.isBlank() || port < lowestPort || port > 65535) {
            throw new ConfigException(key, entry, allowed);
        }
        return new HostPort(host, port);
    }
}
