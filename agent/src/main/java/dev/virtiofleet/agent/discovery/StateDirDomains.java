package dev.virtiofleet.agent.discovery;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Running domains from libvirt's QEMU runtime state directory ({@code /run/libvirt/qemu}): libvirtd
 * writes {@code <domain>.pid} while a domain's QEMU runs and removes it when the domain stops. A pid
 * file whose process is gone (libvirtd itself stopped uncleanly) does not count. Needs no libvirt
 * socket, only read access to the directory.
 */
final class StateDirDomains implements RunningDomains {
    private final Path dir;

    StateDirDomains(Path dir) {
        this.dir = dir;
    }

    @Override
    public Set<String> list() throws DomainListException {
        Set<String> running = new HashSet<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(dir, "*.pid")) {
            for (Path pidFile : pids) {
                String file = pidFile.getFileName().toString();
                if (alive(pidFile)) {
                    running.add(file.substring(0, file.length() - ".pid".length()));
                }
            }
        } catch (NoSuchFileException e) {
            throw new DomainListException("libvirt state directory " + dir + " does not exist (is libvirtd installed here?)");
        } catch (IOException e) {
            throw new DomainListException("cannot read libvirt state directory " + dir + ": " + e);
        }
        return Set.copyOf(running);
    }

    private static boolean alive(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            // Being written or removed right now: the next look sees it settled.
            return false;
        }
    }
}
