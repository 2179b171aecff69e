package dev.virtiofleet.launcher;

import dev.virtiofleet.sim.scenario.BundledScenarios;
import dev.virtiofleet.sim.scenario.FleetScaling;
import dev.virtiofleet.sim.scenario.Scenario;
import dev.virtiofleet.sim.scenario.ScenarioException;
import dev.virtiofleet.sim.scenario.ScenarioReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The {@code --scenario}, {@code --hosts}, {@code --vms} and {@code --seed} of the sim and demo commands, read the same way. */
public final class ScenarioChoice {
    private ScenarioChoice() {}

    /** A scenario file, or a bundled scenario by name; a mistake names the option and what is wrong. */
    public static Scenario load(String fileOrName) throws IOException {
        try {
            if (BundledScenarios.names().contains(fileOrName)) {
                return BundledScenarios.load(fileOrName);
            }
            Path file = Path.of(fileOrName);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("--scenario " + fileOrName + " is neither a file nor a bundled scenario; bundled: "
                        + BundledScenarios.names());
            }
            return new ScenarioReader().read(file);
        } catch (ScenarioException e) {
            throw new IllegalArgumentException("--scenario " + fileOrName + " is invalid: " + String.join("; ", e.problems()), e);
        }
    }

    /** The scenario grown to {@code hosts} and {@code vms} (each at least the scenario's own), its UUIDs from {@code seed}. */
    public static Scenario scaled(Scenario written, String name, Optional<Integer> hosts, Optional<Integer> vms, Optional<Long> seed) {
        int hostCount = hosts.orElse(written.hosts().size());
        int vmCount = vms.orElse(Math.max(written.vmCount(), hostCount));
        try {
            return new FleetScaling(hostCount, vmCount, seed.orElse(written.seed())).apply(written);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot run scenario " + name + " with --hosts " + hostCount + " --vms "
                    + vmCount + ": " + e.getMessage(), e);
        }
    }
}
