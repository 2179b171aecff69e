package dev.virtiofleet.sim.qmp;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A short temp dir under /tmp for unix sockets (paths must stay under 108 bytes); deleted on close. */
final class SocketDir implements AutoCloseable {
    private final Path dir;

    SocketDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "vsim");
    }

    Path socket(String name) {
        return dir.resolve(name + ".qmp");
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
