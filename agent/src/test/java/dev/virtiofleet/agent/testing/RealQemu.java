package dev.virtiofleet.agent.testing;

import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real QEMU with the device set of the transcripts, created paused ({@code -S}): every virtio
 * device exists, no guest runs. Owns its process and its socket directory.
 */
public final class RealQemu implements AutoCloseable {
    public static final List<String> DEVICE_IDS = List.of("blk0", "net0", "rng0", "bal0", "ser0", "scsi0", "kbd0");

    private final Path dir;
    private final Process process;

    private RealQemu(Path dir, Process process) {
        this.dir = dir;
        this.process = process;
    }

    /** The QEMU binary, when installed. */
    public static Optional<Path> binary() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(directory -> Path.of(directory, "qemu-system-x86_64"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    public static RealQemu startPaused(Path binary, String name, String uuid) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "vf-qemu");
        Path socket = dir.resolve("qmp.sock");
        Process process = new ProcessBuilder(binary.toString(),
                "-machine", "q35,accel=tcg", "-nodefaults", "-display", "none", "-S", "-m", "64",
                "-name", name, "-uuid", uuid,
                "-qmp", "unix:" + socket + ",server=on,wait=off",
                "-blockdev", "driver=null-co,node-name=disk0,size=67108864",
                "-device", "virtio-blk-pci,drive=disk0,id=blk0",
                "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,id=net0",
                "-device", "virtio-rng-pci,id=rng0",
                "-device", "virtio-balloon-pci,id=bal0",
                "-device", "virtio-serial-pci,id=ser0",
                "-device", "virtio-scsi-pci,id=scsi0",
                "-device", "virtio-keyboard-pci,id=kbd0")
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile())
                .start();
        RealQemu qemu = new RealQemu(dir, process);
        long giveUp = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!Files.exists(socket)) {
            if (!process.isAlive() || System.nanoTime() > giveUp) {
                String log = Files.readString(dir.resolve("qemu.log"));
                qemu.close();
                throw new IOException("QEMU did not open its monitor: " + log);
            }
            Thread.sleep(20);
        }
        return qemu;
    }

    public QmpEndpoint endpoint() {
        return new QmpEndpoint.UnixSocket(dir.resolve("qmp.sock"));
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
