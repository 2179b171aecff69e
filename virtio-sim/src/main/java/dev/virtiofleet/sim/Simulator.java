package dev.virtiofleet.sim;

import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.sim.qmp.QmpEndpoint;
import dev.virtiofleet.sim.qmp.QmpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A simulated hypervisor host: VMs with one QMP socket each, {@code <socketDir>/<vm name>.qmp},
 * served by a few selector threads (one per core, at most four) whatever the number of VMs.
 * What agent tests and the launcher start.
 */
public final class Simulator implements AutoCloseable {
    // sun_path holds 108 bytes including the terminating NUL.
    private static final int MAX_SOCKET_PATH_BYTES = 107;
    private static final Pattern VM_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    private static final int MAX_LOOPS = 4;

    private final List<QmpServer> servers = new ArrayList<>();
    private final Map<String, QmpEndpoint> endpoints = new LinkedHashMap<>();

    private Simulator() {}

    /** Starts every VM of {@code vms} on {@code clock} and opens its monitor socket in {@code socketDir}. */
    public static Simulator start(Path socketDir, InstantSource clock, List<VmSpec> vms) throws IOException {
        int loops = Math.clamp(Runtime.getRuntime().availableProcessors(), 1, MAX_LOOPS);
        return start(socketDir, clock, vms, loops);
    }

    /** As {@link #start(Path, InstantSource, List)} with {@code loops} selector threads. */
    public static Simulator start(Path socketDir, InstantSource clock, List<VmSpec> vms, int loops) throws IOException {
        if (loops < 1 || loops > 64) {
            throw new IllegalArgumentException("selector threads must be 1..64, got " + loops);
        }
        for (VmSpec vm : vms) {
            validate(socketDir, vm.name());
        }
        Files.createDirectories(socketDir);
        Simulator simulator = new Simulator();
        try {
            for (int i = 0; i < loops; i++) {
                simulator.servers.add(new QmpServer(QemuVersion.DEBIAN_7_2));
            }
            for (VmSpec spec : vms) {
                if (simulator.endpoints.containsKey(spec.name())) {
                    throw new IllegalArgumentException("two VMs are named " + spec.name());
                }
                SimulatedVm vm = new SimulatedVm(spec, clock);
                QmpServer server = simulator.servers.get(simulator.endpoints.size() % loops);
                simulator.endpoints.put(spec.name(), server.serve(vm, socketPath(socketDir, spec.name())));
            }
        } catch (IOException | RuntimeException e) {
            simulator.close();
            throw e;
        }
        return simulator;
    }

    public SimulatedVm vm(String name) {
        return endpoint(name).vm();
    }

    public Path socket(String name) {
        return endpoint(name).socket();
    }

    public List<SimulatedVm> vms() {
        return endpoints.values().stream().map(QmpEndpoint::vm).toList();
    }

    @Override
    public void close() {
        servers.forEach(QmpServer::close);
    }

    private QmpEndpoint endpoint(String name) {
        QmpEndpoint endpoint = endpoints.get(name);
        if (endpoint == null) {
            throw new IllegalArgumentException("no simulated VM named " + name + "; there are " + endpoints.keySet());
        }
        return endpoint;
    }

    private static Path socketPath(Path socketDir, String vmName) {
        return socketDir.resolve(vmName + ".qmp");
    }

    private static void validate(Path socketDir, String vmName) {
        if (!VM_NAME.matcher(vmName).matches()) {
            throw new IllegalArgumentException("VM name " + vmName + " cannot name a socket file: use letters, digits, "
                    + "'-', '_', '.', starting with a letter or digit");
        }
        int bytes = socketPath(socketDir, vmName).toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_SOCKET_PATH_BYTES) {
            throw new IllegalArgumentException("socket path for VM " + vmName + " in " + socketDir + " is " + bytes
                    + " bytes; unix sockets allow at most " + MAX_SOCKET_PATH_BYTES);
        }
    }
}
