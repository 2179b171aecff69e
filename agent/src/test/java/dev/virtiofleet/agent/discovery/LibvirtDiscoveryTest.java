package dev.virtiofleet.agent.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.virtiofleet.agent.discovery.RunningDomains.DomainListException;
import dev.virtiofleet.agent.poll.AgentRun;
import dev.virtiofleet.agent.qmp.QmpClientConfig;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.agent.schedule.FleetScheduler;
import dev.virtiofleet.agent.schedule.PollConfig;
import dev.virtiofleet.agent.schedule.VmStatus;
import dev.virtiofleet.agent.testing.Await;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.sim.Simulator;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.VmSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Libvirt discovery against a fake {@code virsh} (a real executable script, run as a process,
 * printing whatever domains the test says are running) and simulated VMs on real unix sockets,
 * named like the domains: {@code <dir>/sockets/<domain>.qmp}.
 */
class LibvirtDiscoveryTest {
    private Path dir;
    private Path virsh;
    private Simulator simulator;

    @BeforeEach
    void fakeVirsh() throws IOException {
        // Unix socket paths must stay under 108 bytes: /tmp, not the build directory.
        dir = Files.createTempDirectory(Path.of("/tmp"), "vf-libvirt");
        virsh = dir.resolve("virsh");
        Files.writeString(virsh, """
                #!/bin/sh
                # A stand-in for virsh: records its arguments, then lists the domains in ./running
                # (or fails like virsh does when libvirtd is down, or hangs).
                here=$(dirname "$0")
                echo "$@" >> "$here/calls"
                case "$(cat "$here/mode" 2>/dev/null)" in
                  fail) echo "error: failed to connect to the hypervisor" >&2
                        echo "error: Failed to connect socket to '/run/libvirt/libvirt-sock-ro': Connection refused" >&2
                        exit 1 ;;
                  hang) exec sleep 60 ;;
                esac
                cat "$here/running"
                echo
                """);
        Files.setPosixFilePermissions(virsh, PosixFilePermissions.fromString("rwx------"));
        running();
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (simulator != null) {
            simulator.close();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** What {@code virsh list --name} prints from now on. */
    private void running(String... domains) throws IOException {
        Files.writeString(dir.resolve("running"), String.join("\n", domains) + (domains.length > 0 ? "\n" : ""));
    }

    private void virshMode(String mode) throws IOException {
        Files.writeString(dir.resolve("mode"), mode);
    }

    private void simulate(String... vms) throws IOException {
        List<VmSpec> specs = Stream.of(vms).map(name -> ReferenceMachines.transcriptGuest(name,
                UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)), NetOptions.defaults())).toList();
        simulator = Simulator.start(dir.resolve("sockets"), InstantSource.system(), specs);
    }

    private LibvirtConfig config(Duration listTimeout) {
        return new LibvirtConfig(true, LibvirtConfig.DomainListing.VIRSH, virsh.toString(), "qemu:///system",
                Path.of("/run/libvirt/qemu"), dir.resolve("sockets") + "/{domain}.qmp", listTimeout);
    }

    private QmpEndpoint socketOf(String domain) {
        return new QmpEndpoint.UnixSocket(dir.resolve("sockets").resolve(domain + ".qmp"));
    }

    @Test
    void theAgentPollsRunningDomainsThroughTheirTelemetrySocketsAndDropsStoppedOnes() throws Exception {
        simulate("web-1", "web-2", "db-1");
        running("web-1", "db-1");
        AgentConfig agentConfig = AgentConfig.parse("""
                discovery:
                  socket-globs: []
                  libvirt:
                    enabled: true
                    virsh: %s
                    socket-pattern: %s/sockets/{domain}.qmp
                publish:
                  spool-dir: %s/spool
                kafka:
                  bootstrap.servers: 127.0.0.1:9
                """.formatted(virsh, dir, dir), "libvirt.yaml");
        Duration interval = Duration.ofMillis(100);
        List<VirtioSample> samples = new CopyOnWriteArrayList<>();
        try (FleetScheduler scheduler = new FleetScheduler(PollConfig.every(interval), QmpClientConfig.defaults(),
                new AgentRun("hv", "run"), samples::add, Clock.systemUTC(), new Random(5));
                DiscoveryLoop loop = new DiscoveryLoop(agentConfig.discovery().source(), scheduler::reconcile, interval).start()) {
            Await.until("web-1 and db-1 polled", () -> polledNames(scheduler).equals(Set.of("web-1", "db-1")));
            running("web-1", "db-1", "web-2");
            Await.until("web-2 picked up once running", () -> polledNames(scheduler).equals(Set.of("web-1", "db-1", "web-2")));
            // db-1 stops; its simulated monitor still answers on its socket, as a socket file left behind by a killed
            // QEMU would still be there: the domain list decides, not the directory.
            running("web-1", "web-2");
            Await.until("db-1 dropped once stopped", () -> endpoints(scheduler).equals(Set.of(socketOf("web-1"), socketOf("web-2"))));
        }
        assertEquals(Set.of("web-1", "web-2", "db-1"), samples.stream().map(VirtioSample::getVmName).collect(Collectors.toSet()));
        List<String> calls = Files.readAllLines(dir.resolve("calls"));
        assertTrue(calls.size() >= 3, "virsh is asked every interval: " + calls);
        calls.forEach(call -> assertEquals("--readonly -c qemu:///system list --name", call, "read-only, running domains only"));
    }

    @Test
    void eachLookSeesExactlyTheDomainsRunningThen() throws Exception {
        simulate("web-1", "web-2");
        List<String> reports = new ArrayList<>();
        LibvirtDomainSource source = new LibvirtDomainSource(config(Duration.ofSeconds(10)), config(Duration.ofSeconds(10)).lister(),
                reports::add);
        assertEquals(Set.of(), source.discover());
        running("web-1");
        assertEquals(Set.of(socketOf("web-1")), source.discover(), "a domain that starts is found at the next look");
        running("web-1", "web-2");
        assertEquals(Set.of(socketOf("web-1"), socketOf("web-2")), source.discover());
        running("web-2");
        assertEquals(Set.of(socketOf("web-2")), source.discover(), "a domain that stops is gone at the next look");
        assertEquals(List.of(), reports);
    }

    @Test
    void aRunningDomainWithoutItsTelemetrySocketIsReportedOnceNotAtEveryLook() throws Exception {
        simulate("web-1");
        running("web-1", "legacy");
        List<String> reports = new ArrayList<>();
        LibvirtDomainSource source = new LibvirtDomainSource(config(Duration.ofSeconds(10)), config(Duration.ofSeconds(10)).lister(),
                reports::add);
        assertEquals(Set.of(socketOf("web-1")), source.discover());
        assertEquals(List.of(), reports, "not at the first look: a domain just starting may not have opened its socket yet");
        for (int look = 0; look < 5; look++) {
            assertEquals(Set.of(socketOf("web-1")), source.discover());
        }
        assertEquals(1, reports.size(), reports.toString());
        String report = reports.getFirst();
        assertTrue(report.contains("'legacy'") && report.contains(dir.resolve("sockets").resolve("legacy.qmp").toString())
                && report.contains("<qemu:commandline>"), report);

        running("web-1");
        source.discover();
        running("web-1", "legacy");
        source.discover();
        source.discover();
        assertEquals(2, reports.size(), "stopped and started again still without the socket: a new report " + reports);
        assertEquals(reports.get(0), reports.get(1));
    }

    @Test
    void whenVirshFailsTheDomainsListedLastAreKeptAndTheFailureIsReportedOnce() throws Exception {
        simulate("web-1");
        running("web-1");
        List<String> reports = new ArrayList<>();
        LibvirtDomainSource source = new LibvirtDomainSource(config(Duration.ofSeconds(10)), config(Duration.ofSeconds(10)).lister(),
                reports::add);
        assertEquals(Set.of(socketOf("web-1")), source.discover());
        virshMode("fail");
        for (int look = 0; look < 3; look++) {
            assertEquals(Set.of(socketOf("web-1")), source.discover(), "libvirtd down: the VMs themselves still run");
        }
        assertEquals(1, reports.size(), reports.toString());
        assertTrue(reports.getFirst().contains("exited with 1: error: failed to connect to the hypervisor"), reports.getFirst());
        virshMode("ok");
        running();
        assertEquals(Set.of(), source.discover(), "listed again");
        virshMode("fail");
        source.discover();
        assertEquals(2, reports.size(), "a new outage is a new report: " + reports);
    }

    @Test
    void aVirshThatHangsIsKilledAfterTheListTimeout() throws Exception {
        virshMode("hang");
        RunningDomains lister = config(Duration.ofMillis(300)).lister();
        DomainListException error = assertThrows(DomainListException.class, lister::list);
        assertTrue(error.getMessage().contains("did not finish within PT0.3S; killed"), error.getMessage());
    }

    @Test
    void aVirshThatCannotRunIsAClearListingFailure() {
        RunningDomains lister = new VirshDomains(dir.resolve("no-such-virsh").toString(), "qemu:///system", Duration.ofSeconds(5));
        DomainListException error = assertThrows(DomainListException.class, lister::list);
        assertTrue(error.getMessage().contains("no-such-virsh --readonly -c qemu:///system list --name cannot run"), error.getMessage());
    }

    @Test
    void theStateDirectoryListsDomainsWhosePidFileNamesALiveProcess() throws Exception {
        Path state = Files.createDirectories(dir.resolve("qemu-state"));
        Files.writeString(state.resolve("web-1.pid"), ProcessHandle.current().pid() + "\n");
        Process finished = new ProcessBuilder("true").start();
        finished.waitFor();
        Files.writeString(state.resolve("crashed.pid"), Long.toString(finished.pid()));
        Files.writeString(state.resolve("garbled.pid"), "not a pid");
        Files.writeString(state.resolve("web-1.xml"), "<domstatus/>");
        Files.writeString(state.resolve("stopped.xml"), "<domstatus/>");
        assertEquals(Set.of("web-1"), new StateDirDomains(state).list());

        DomainListException error = assertThrows(DomainListException.class, () -> new StateDirDomains(dir.resolve("absent")).list());
        assertTrue(error.getMessage().contains("does not exist"), error.getMessage());
    }

    @Test
    void aDomainNameThatCannotNameAFileIsReportedAndSkipped() throws Exception {
        running("../../etc/evil", "ok");
        List<String> reports = new ArrayList<>();
        LibvirtDomainSource source = new LibvirtDomainSource(config(Duration.ofSeconds(10)), config(Duration.ofSeconds(10)).lister(),
                reports::add);
        assertEquals(Set.of(), source.discover());
        source.discover();
        assertEquals(1, reports.stream().filter(r -> r.contains("'../../etc/evil' cannot name a socket file")).count(), reports.toString());
    }

    private static Set<String> polledNames(FleetScheduler scheduler) {
        return scheduler.status().stream().filter(s -> s.sampledSweeps() > 0)
                .map(s -> s.identity().name()).flatMap(Optional::stream).collect(Collectors.toSet());
    }

    private static Set<QmpEndpoint> endpoints(FleetScheduler scheduler) {
        return scheduler.status().stream().map(VmStatus::endpoint).collect(Collectors.toSet());
    }

}
