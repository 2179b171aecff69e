package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.config.HostPort;
import dev.virtiofleet.agent.qmp.QmpEndpoint;

/** Parses configured {@code host:port} monitor entries ({@code [v6-address]:port} for IPv6). */
public final class StaticEndpoints {
    private StaticEndpoints() {}

    public static QmpEndpoint.Tcp parse(String key, String entry) {
        HostPort address = HostPort.parse(key, entry, 1);
        return new QmpEndpoint.Tcp(address.host(), address.port());
    }
}
