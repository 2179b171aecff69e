package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.discovery.RunningDomains.DomainListException;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The telemetry sockets of the running libvirt domains ({@link LibvirtConfig}). Asked every
 * interval, so a domain that starts is polled from the next look on and one that stops is dropped
 * at the next look, whatever its socket file left behind.
 *
 * <p>Problems are reported once each, not per look: a running domain without its telemetry socket
 * (its domain XML lacks the {@code <qemu:commandline>} snippet; reported when missing at two looks
 * in a row, so a domain still starting is not), a name that cannot be a file name, and domains
 * that cannot be listed (then the domains listed last are kept). A domain that stops and later
 * runs again without its socket is reported again.
 */
public final class LibvirtDomainSource implements EndpointSource {
    private static final Logger LOG = LoggerFactory.getLogger(LibvirtDomainSource.class);

    private final LibvirtConfig config;
    private final RunningDomains domains;
    private final Consumer<String> report;
    private Set<String> lastListed = Set.of();
    private Optional<String> listFailure = Optional.empty();
    private final Set<String> missingOnce = new HashSet<>();
    private final Set<String> reported = new HashSet<>();

    /** Reports problems to the log. */
    public LibvirtDomainSource(LibvirtConfig config) {
        this(config, config.lister(), LOG::warn);
    }

    /** Reports each problem once to {@code report}. */
    public LibvirtDomainSource(LibvirtConfig config, RunningDomains domains, Consumer<String> report) {
        this.config = config;
        this.domains = domains;
        this.report = report;
    }

    @Override
    public synchronized Set<QmpEndpoint> discover() {
        Set<String> running = listRunning();
        Set<QmpEndpoint> found = new HashSet<>();
        Set<String> missingNow = new HashSet<>();
        for (String domain : running) {
            if (domain.contains("/") || domain.equals(".") || domain.equals("..") || domain.indexOf('\0') >= 0) {
                reportOnce("name:" + domain, "libvirt domain '" + domain + "' cannot name a socket file; not polled");
                continue;
            }
            Path socket = config.socketOf(domain);
            if (isSocket(socket)) {
                found.add(new QmpEndpoint.UnixSocket(socket));
                reported.remove("socket:" + domain);
            } else {
                missingNow.add(domain);
                if (missingOnce.contains(domain)) {
                    reportOnce("socket:" + domain, "libvirt domain '" + domain + "' is running but has no telemetry QMP socket at "
                            + socket + ": its domain XML lacks the <qemu:commandline> -qmp argument for it (see the agent's "
                            + "discovery documentation), so it is not polled; add it and restart the domain");
                }
            }
        }
        missingOnce.retainAll(missingNow);
        missingOnce.addAll(missingNow);
        // Forget what concerned domains that stopped: should they run again with the same problem, it is new.
        reported.removeIf(key -> !key.startsWith("list:") && !running.contains(key.substring(key.indexOf(':') + 1)));
        return Set.copyOf(found);
    }

    private Set<String> listRunning() {
        try {
            Set<String> running = domains.list();
            if (listFailure.isPresent()) {
                LOG.info("libvirt domains listed again ({} running)", running.size());
                reported.remove("list:" + listFailure.get());
                listFailure = Optional.empty();
            }
            lastListed = running;
            return running;
        } catch (DomainListException e) {
            if (listFailure.isPresent() && !listFailure.get().equals(e.getMessage())) {
                reported.remove("list:" + listFailure.get());
            }
            listFailure = Optional.of(e.getMessage());
            reportOnce("list:" + e.getMessage(), "cannot list libvirt domains: " + e.getMessage() + "; keeping the "
                    + lastListed.size() + " domains listed last");
            return lastListed;
        }
    }

    private void reportOnce(String key, String message) {
        if (reported.add(key)) {
            report.accept(message);
        }
    }

    private static boolean isSocket(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class).isOther();
        } catch (IOException e) {
            return false;
        }
    }
}
