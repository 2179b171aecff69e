package dev.virtiofleet.agent.discovery;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Running domains from {@code virsh --readonly -c URI list --name}: active domains, one name a
 * line. Read-only, so it needs only libvirt's read-only socket and can change nothing. A virsh that
 * hangs is killed after the list timeout.
 */
final class VirshDomains implements RunningDomains {
    /** More than any host's domain names; a virsh printing more is not believed. */
    private static final int MAX_OUTPUT_BYTES = 1 << 20;

    private final List<String> command;
    private final Duration timeout;

    VirshDomains(String virsh, String uri, Duration timeout) {
        this.command = List.of(virsh, "--readonly", "-c", uri, "list", "--name");
        this.timeout = timeout;
    }

    List<String> command() {
        return command;
    }

    @Override
    public Set<String> list() throws DomainListException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            throw new DomainListException(String.join(" ", command) + " cannot run: " + e.getMessage());
        }
        try {
            // Drained while virsh runs, so a long listing cannot fill the pipe and stall it.
            var stdout = readAsync(process.getInputStream());
            var stderr = readAsync(process.getErrorStream());
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                process.destroyForcibly();
                throw new DomainListException(String.join(" ", command) + " did not finish within " + timeout + "; killed");
            }
            String out = stdout.join();
            if (process.exitValue() != 0) {
                String reason = stderr.join().strip().lines().findFirst().orElse("no message");
                throw new DomainListException(String.join(" ", command) + " exited with " + process.exitValue() + ": " + reason);
            }
            Set<String> names = new LinkedHashSet<>();
            out.lines().map(String::strip).filter(line -> !line.isEmpty()).forEach(names::add);
            return Set.copyOf(names);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new DomainListException("interrupted while listing domains");
        } finally {
            process.destroyForcibly();
        }
    }

    private static CompletableFuture<String> readAsync(InputStream stream) {
        var result = new CompletableFuture<String>();
        Thread.ofVirtual().name("virsh-output").start(() -> {
            try (stream) {
                byte[] bytes = stream.readNBytes(MAX_OUTPUT_BYTES);
                stream.transferTo(OutputStream.nullOutputStream());
                result.complete(new String(bytes, StandardCharsets.UTF_8));
            } catch (IOException e) {
                result.complete("");
            }
        });
        return result;
    }
}
