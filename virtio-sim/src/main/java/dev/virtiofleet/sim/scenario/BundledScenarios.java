package dev.virtiofleet.sim.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The scenarios shipped with the simulator: one healthy fleet that must raise nothing, one per
 * alert kind that must raise it, and the look-alikes (guest polling, paused VM) that must not.
 * Each file's header says what it must raise.
 */
public final class BundledScenarios {
    private static final String FOLDER = "/dev/virtiofleet/sim/scenarios/";
    private static final List<String> NAMES = List.of("healthy", "queue-stalled", "notification-lost",
            "completion-not-signalled", "guest-polling", "device-broken", "feature-violation", "vhost-desync",
            "feature-drift", "negotiation-degraded", "vm-paused", "hot-unplug", "monitor-hung");

    private BundledScenarios() {}

    public static List<String> names() {
        return NAMES;
    }

    /** The YAML text of a bundled scenario. */
    public static String text(String name) {
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("no bundled scenario " + name + "; there are " + NAMES);
        }
        try (InputStream in = BundledScenarios.class.getResourceAsStream(FOLDER + name + ".yaml")) {
            if (in == null) {
                throw new IllegalStateException("bundled scenario " + name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled scenario " + name, e);
        }
    }

    /** A bundled scenario, parsed and validated. */
    public static Scenario load(String name) throws ScenarioException {
        return new ScenarioReader().parse(name + ".yaml", text(name));
    }
}
