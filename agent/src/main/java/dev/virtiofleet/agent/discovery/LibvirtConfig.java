package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.config.ConfigException;
import dev.virtiofleet.agent.config.Require;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Libvirt discovery ({@code discovery.libvirt.*}): the running domains, each through its dedicated
 * telemetry QMP socket (libvirtd owns the main monitor; the package documentation shows the domain
 * XML that adds the socket). No libvirt library is loaded into the agent: domains are listed by
 * running {@code virsh} read-only, or by reading libvirt's runtime state directory.
 *
 * @param enabled       list libvirt domains at all ({@code enabled}, default false)
 * @param listFrom      how running domains are listed ({@code list-from}: {@code virsh}, the default, runs
 *     {@code virsh --readonly -c URI list --name}; {@code state-dir} reads {@code <state-dir>/<domain>.pid}
 *     and needs no libvirt socket, only read access to that directory)
 * @param virsh         the virsh command, a name on PATH or an absolute path ({@code virsh}, default {@code virsh})
 * @param uri           the libvirt connection URI ({@code uri}, default {@code qemu:///system})
 * @param stateDir      libvirt's QEMU runtime state directory ({@code state-dir}, default {@code /run/libvirt/qemu})
 * @param socketPattern the telemetry socket of a domain, {@code {domain}} standing for its name
 *     ({@code socket-pattern}, default {@code /run/virtio-fleet/qmp/{domain}.sock})
 * @param listTimeout   how long one virsh run may take before it is killed ({@code list-timeout}, default 5 s)
 */
public record LibvirtConfig(boolean enabled, DomainListing listFrom, String virsh, String uri, Path stateDir,
        String socketPattern, Duration listTimeout) {
    public static final String DOMAIN = "{domain}";
    public static final String DEFAULT_SOCKET_PATTERN = "/run/virtio-fleet/qmp/" + DOMAIN + ".sock";

    /** Where the list of running domains comes from. */
    public enum DomainListing {
        VIRSH, STATE_DIR;

        /** As written in the configuration: {@code virsh}, {@code state-dir}. */
        public String configName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        public static DomainListing parse(String key, String text) {
            for (DomainListing listing : values()) {
                if (listing.configName().equals(text)) {
                    return listing;
                }
            }
            throw new ConfigException(key, "'" + text + "'", "virsh or state-dir");
        }
    }

    public LibvirtConfig {
        Objects.requireNonNull(listFrom, "listFrom");
        if (virsh == null || virsh.isBlank()) {
            throw new ConfigException("discovery.libvirt.virsh", virsh, "a command name or an absolute path, e.g. virsh");
        }
        if (uri == null || uri.isBlank()) {
            throw new ConfigException("discovery.libvirt.uri", uri, "a libvirt URI, e.g. qemu:///system");
        }
        if (stateDir == null || !stateDir.isAbsolute()) {
            throw new ConfigException("discovery.libvirt.state-dir", stateDir, "an absolute path, e.g. /run/libvirt/qemu");
        }
        if (socketPattern == null || !socketPattern.contains(DOMAIN) || !socketPattern.startsWith("/")) {
            throw new ConfigException("discovery.libvirt.socket-pattern", socketPattern,
                    "an absolute path containing " + DOMAIN + ", e.g. " + DEFAULT_SOCKET_PATTERN);
        }
        Require.atLeast("discovery.libvirt.list-timeout", listTimeout, Duration.ofMillis(100));
    }

    public static LibvirtConfig defaults() {
        return new LibvirtConfig(false, DomainListing.VIRSH, "virsh", "qemu:///system", Path.of("/run/libvirt/qemu"),
                DEFAULT_SOCKET_PATTERN, Duration.ofSeconds(5));
    }

    /** The telemetry socket of {@code domain}. */
    public Path socketOf(String domain) {
        return Path.of(socketPattern.replace(DOMAIN, domain));
    }

    /** How running domains are listed, as configured. */
    public RunningDomains lister() {
        return switch (listFrom) {
            case VIRSH -> new VirshDomains(virsh, uri, listTimeout);
            case STATE_DIR -> new StateDirDomains(stateDir);
        };
    }
}
