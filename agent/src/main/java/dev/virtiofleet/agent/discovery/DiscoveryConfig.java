package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Where the agent looks for monitors: socket globs, static TCP entries and, when enabled, the
 * running libvirt domains' telemetry sockets, all together.
 *
 * @param socketGlobs     absolute path globs of QMP unix sockets ({@code discovery.socket-globs}; default
 *     Proxmox's {@code /var/run/qemu-server/*.qmp} and the per-VM telemetry directory
 *     {@code /run/virtio-fleet/qmp/*.sock})
 * @param staticEndpoints TCP monitors as {@code host:port} ({@code discovery.static}; default none)
 * @param libvirt         libvirt domains ({@code discovery.libvirt.*}, {@link LibvirtConfig}; default off)
 */
public record DiscoveryConfig(List<String> socketGlobs, List<String> staticEndpoints, LibvirtConfig libvirt) {
    public static final List<String> DEFAULT_SOCKET_GLOBS = List.of("/var/run/qemu-server/*.qmp", "/run/virtio-fleet/qmp/*.sock");

    public DiscoveryConfig {
        socketGlobs = List.copyOf(socketGlobs);
        staticEndpoints = List.copyOf(staticEndpoints);
        Objects.requireNonNull(libvirt, "libvirt");
        for (int i = 0; i < socketGlobs.size(); i++) {
            String glob = socketGlobs.get(i);
            if (glob.isBlank() || !Path.of(glob).isAbsolute()) {
                throw new ConfigException("discovery.socket-globs[" + i + "]", glob, "an absolute path glob, e.g. /run/virtio-fleet/qmp/*.sock");
            }
        }
        for (int i = 0; i < staticEndpoints.size(); i++) {
            StaticEndpoints.parse("discovery.static[" + i + "]", staticEndpoints.get(i));
        }
    }

    /** Globs and static entries, libvirt off. */
    public DiscoveryConfig(List<String> socketGlobs, List<String> staticEndpoints) {
        this(socketGlobs, staticEndpoints, LibvirtConfig.defaults());
    }

    public static DiscoveryConfig defaults() {
        return new DiscoveryConfig(DEFAULT_SOCKET_GLOBS, List.of());
    }

    /** The source these settings describe. */
    public EndpointSource source() {
        Set<QmpEndpoint> fixed = IntStream.range(0, staticEndpoints.size())
                .mapToObj(i -> (QmpEndpoint) StaticEndpoints.parse("discovery.static[" + i + "]", staticEndpoints.get(i)))
                .collect(Collectors.toUnmodifiableSet());
        List<EndpointSource> sources = new ArrayList<>();
        sources.add(new SocketGlobSource(socketGlobs));
        sources.add(() -> fixed);
        if (libvirt.enabled()) {
            sources.add(new LibvirtDomainSource(libvirt));
        }
        return EndpointSource.combined(sources);
    }
}
