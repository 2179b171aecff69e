package dev.virtiofleet.agent.discovery;

import java.util.Set;

/** Lists the libvirt domains whose QEMU runs now (paused ones included: their monitor answers). */
@FunctionalInterface
public interface RunningDomains {
    /** The running domains' names; an exception with a one-line reason when they cannot be listed now. */
    Set<String> list() throws DomainListException;

    /** Listing failed this time (libvirtd down, virsh missing, unreadable state directory). */
    final class DomainListException extends Exception {
        public DomainListException(String message) {
            super(message);
        }
    }
}
