package dev.virtiofleet.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real QEMU (Debian's qemu-system-x86, under TCG) running a small real Linux guest with the
 * device set of the shared transcripts: scsi0, kbd0, bal0, ser0, rng0, blk0 and net0 under
 * {@code /machine/peripheral/<id>/virtio-backend}. The disk is an NBD export served by a separate
 * qemu-nbd process, so a test or the demo can hang the disk backend for real
 * ({@link #pauseDiskBackend()}). The guest (Debian's cloud kernel and a busybox initramfs loading
 * the virtio drivers, keeping its disk and network a little busy) is built once by the script
 * bundled beside this class ({@code build-guest.sh}: apt-get download, dpkg-deb, cpio) and cached
 * in {@code ~/.cache/virtio-fleet/test-guest}.
 */
public final class RealQemuGuest implements AutoCloseable {
    private static final String QEMU = "qemu-system-x86_64";
    private static final String QEMU_NBD = "qemu-nbd";
    private static final String READY_MARKER = "virtio-fleet-guest: ready";
    private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(120);

    private final Process process;
    private final Process diskServer;
    private final Path runDir;

    private RealQemuGuest(Process process, Process diskServer, Path runDir) {
        this.process = process;
        this.diskServer = diskServer;
        this.runDir = runDir;
    }

    /** Why no real guest can run here, or empty when one can. */
    public static Optional<String> unavailableReason() {
        if (!onPath(QEMU)) {
            return Optional.of(QEMU + " is not installed (Debian package qemu-system-x86)");
        }
        if (!onPath(QEMU_NBD)) {
            return Optional.of(QEMU_NBD + " is not installed (Debian package qemu-utils)");
        }
        for (String tool : List.of("apt-get", "dpkg-deb", "cpio", "gzip")) {
            if (!onPath(tool)) {
                return Optional.of(tool + " is not installed; it builds the test guest");
            }
        }
        return Optional.empty();
    }

    /** Builds the guest if needed and boots it, unnamed; returns once the guest's drivers are loaded. */
    public static RealQemuGuest boot() throws IOException, InterruptedException {
        return boot(Optional.empty());
    }

    /**
     * As {@link #boot()}, the VM named as {@code query-name} and {@code query-uuid} report it.
     *
     * @param identity the VM's name and UUID; empty: QEMU's defaults (no name, the nil UUID)
     */
    public static RealQemuGuest boot(Optional<Identity> identity) throws IOException, InterruptedException {
        Path guest = buildGuest();
        // Unix socket paths must stay under 108 bytes, so the run dir lives directly in /tmp.
        Path runDir = Files.createTempDirectory(Path.of("/tmp"), "vf-qemu-");
        Files.copy(guest.resolve("disk.img"), runDir.resolve("disk.img"));
        Path nbdSocket = runDir.resolve("nbd.sock");
        Process diskServer = new ProcessBuilder(QEMU_NBD, "--socket=" + nbdSocket, "--format=raw", "--persistent",
                runDir.resolve("disk.img").toString())
                .redirectErrorStream(true)
                .redirectOutput(runDir.resolve("qemu-nbd.log").toFile())
                .start();
        try {
            awaitFile(nbdSocket, diskServer);
        } catch (IOException | InterruptedException e) {
            diskServer.destroyForcibly();
            deleteTree(runDir);
            throw e;
        }
        List<String> command = new ArrayList<>(List.of(QEMU,
                "-accel", "tcg", "-m", "256", "-smp", "1", "-display", "none", "-no-reboot", "-monitor", "none",
                "-kernel", guest.resolve("vmlinuz").toString(),
                "-initrd", guest.resolve("initramfs.cpio.gz").toString(),
                "-append", "console=ttyS0 panic=-1 quiet",
                "-serial", "file:" + runDir.resolve("console.log"),
                "-qmp", "unix:" + runDir.resolve("qmp.sock") + ",server=on,wait=off",
                "-device", "virtio-scsi-pci,id=scsi0",
                "-device", "virtio-keyboard-pci,id=kbd0",
                "-device", "virtio-balloon-pci,id=bal0",
                "-device", "virtio-serial-pci,id=ser0",
                "-object", "rng-random,id=rng,filename=/dev/urandom",
                "-device", "virtio-rng-pci,rng=rng,id=rng0",
                "-blockdev", "{\"driver\": \"raw\", \"node-name\": \"d0\", \"file\": {\"driver\": \"nbd\", "
                        + "\"server\": {\"type\": \"unix\", \"path\": \"" + nbdSocket + "\"}}}",
                "-device", "virtio-blk-pci,drive=d0,id=blk0",
                "-netdev", "user,id=n0",
                "-device", "virtio-net-pci,netdev=n0,id=net0"));
        identity.ifPresent(vm -> command.addAll(List.of("-name", vm.name(), "-uuid", vm.uuid().toString())));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(runDir.resolve("qemu.log").toFile())
                .start();
        RealQemuGuest guestVm = new RealQemuGuest(process, diskServer, runDir);
        try {
            guestVm.awaitReady();
            return guestVm;
        } catch (IOException | RuntimeException e) {
            guestVm.close();
            throw e;
        }
    }

    /** What a guest calls itself over QMP. */
    public record Identity(String name, UUID uuid) {}

    /** Freezes the disk backend (SIGSTOP to qemu-nbd): the guest's disk requests stop completing. */
    public void pauseDiskBackend() throws IOException, InterruptedException {
        signal("STOP", diskServer);
    }

    /** Lets the disk backend run again (SIGCONT): the stalled requests complete. */
    public void resumeDiskBackend() throws IOException, InterruptedException {
        signal("CONT", diskServer);
    }

    private static void signal(String signal, Process target) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(target.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + target.pid() + " failed");
        }
    }

    public Path qmpSocket() {
        return runDir.resolve("qmp.sock");
    }

    public String consoleLog() throws IOException {
        Path log = runDir.resolve("console.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.ISO_8859_1) : "";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        signal("CONT", diskServer);
        for (Process running : List.of(process, diskServer)) {
            running.destroy();
            if (!running.waitFor(10, TimeUnit.SECONDS)) {
                running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        deleteTree(runDir);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("QEMU exited with " + process.exitValue() + ": " + Files.readString(runDir.resolve("qemu.log")));
            }
            if (consoleLog().contains(READY_MARKER) && Files.exists(qmpSocket())) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IOException("guest did not report ready within " + BOOT_TIMEOUT + "; console:\n" + consoleLog());
    }

    private static void awaitFile(Path file, Process owner) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(file)) {
            if (!owner.isAlive() || System.nanoTime() > deadline) {
                throw new IOException(owner.info().command().orElse("process") + " did not create " + file);
            }
            Thread.sleep(50);
        }
    }

    private static Path buildGuest() throws IOException, InterruptedException {
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "virtio-fleet", "test-guest");
        Path script = Files.createTempFile("virtio-fleet-build-guest-", ".sh");
        try {
            try (InputStream bundled = RealQemuGuest.class.getResourceAsStream("build-guest.sh")) {
                Files.write(script, bundled.readAllBytes());
            }
            Process build = new ProcessBuilder("bash", script.toString(), cache.toString()).redirectErrorStream(true).start();
            String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (build.waitFor() != 0) {
                throw new IOException("building the test guest failed: " + output.strip());
            }
            return cache;
        } finally {
            Files.deleteIfExists(script);
        }
    }

    private static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
    }
}
