package dev.virtiofleet.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates {@code ../shared} (DESIGN.md, the QAPI schema, the real QEMU transcripts). */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path root() {
        String configured = System.getProperty("virtiofleet.shared.dir");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "..", "shared");
        if (!Files.isDirectory(root.resolve("qmp-transcripts"))) {
            throw new IllegalStateException("shared/ not found at " + root.toAbsolutePath()
                    + "; set -Dvirtiofleet.shared.dir to the folder holding qapi/ and qmp-transcripts/");
        }
        return root.normalize();
    }

    public static Path qapiSchema() {
        return root().resolve("qapi").resolve("virtio.json");
    }

    public static Path transcriptsDir() {
        return root().resolve("qmp-transcripts");
    }
}
