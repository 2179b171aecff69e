package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.qmp.QmpEndpoint;

/** Parses configured {@code host:port} monitor entries ({@code [v6-address]:port} for IPv6). */
public final class StaticEndpoints {
    private static final String ALLOWED = "host:port or [ipv6-address]:port with a port from 1 to 65535";

    private StaticEndpoints() {}

    public static QmpEndpoint.Tcp parse(String key, String entry) {
        if (entry == null) {
            throw new ConfigException(key, null, ALLOWED);
        }
        int colon = entry.lastIndexOf(':');
        if (colon <= 0 || colon == entry.length() - 1) {
            throw new ConfigException(key, entry, ALLOWED);
        }
        String host = entry.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new ConfigException(key, entry, ALLOWED + " (put IPv6 addresses in brackets)");
        }
        int port;
        try {
            port = Integer.parseInt(entry.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(key, entry, ALLOWED);
        }
        if (host.isBlank() || port < 1 || port > 65535) {
            throw new ConfigException(key, entry, ALLOWED);
        }
        return new QmpEndpoint.Tcp(host, port);
    }
}
