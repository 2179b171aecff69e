package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Unix sockets matching path globs such as {@code /var/run/qemu-server/*.qmp}. Only sockets count:
 * the pid files and VNC sockets' neighbours that share a directory are not monitors.
 */
public final class SocketGlobSource implements EndpointSource {
    private static final Logger LOG = LoggerFactory.getLogger(SocketGlobSource.class);

    /** One glob split into the directory to walk and the pattern below it. */
    private record Glob(String text, Path base, PathMatcher below, int depth) {}

    private final List<Glob> globs;

    public SocketGlobSource(List<String> globs) {
        this.globs = globs.stream().map(SocketGlobSource::split).toList();
    }

    private static Glob split(String glob) {
        Path pattern = Path.of(glob);
        Path base = pattern.getRoot();
        int literal = 0;
        while (literal < pattern.getNameCount() && !hasGlobSyntax(pattern.getName(literal).toString())) {
            base = base.resolve(pattern.getName(literal).toString());
            literal++;
        }
        if (literal == pattern.getNameCount()) {
            return new Glob(glob, base.getParent(), base.getFileSystem().getPathMatcher("glob:" + escape(base.getFileName().toString())), 1);
        }
        String below = pattern.subpath(literal, pattern.getNameCount()).toString();
        return new Glob(glob, base, FileSystems.getDefault().getPathMatcher("glob:" + below), pattern.getNameCount() - literal);
    }

    private static boolean hasGlobSyntax(String segment) {
        return segment.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    private static String escape(String literal) {
        return literal.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    @Override
    public Set<QmpEndpoint> discover() {
        Set<QmpEndpoint> found = new HashSet<>();
        for (Glob glob : globs) {
            if (!Files.isDirectory(glob.base())) {
                continue;
            }
            try (Stream<Path> candidates = Files.find(glob.base(), glob.depth(),
                    (path, attributes) -> attributes.isOther() && glob.below().matches(glob.base().relativize(path)))) {
                candidates.forEach(path -> found.add(new QmpEndpoint.UnixSocket(path)));
            } catch (IOException | UncheckedIOException e) {
                // A directory being torn down while walked; the next interval sees the settled state.
                LOG.warn("cannot list {} for socket glob {}: {}", glob.base(), glob.text(), e.getMessage());
            }
        }
        return Set.copyOf(found);
    }
}
