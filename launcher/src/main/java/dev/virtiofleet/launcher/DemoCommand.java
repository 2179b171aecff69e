package dev.virtiofleet.launcher;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Says plainly that the demo is not there yet, rather than pretending. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline locally (not yet available: agent, streams and simulator are being built).")
final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println("virtio-fleet demo: not yet available in " + Version.current()
                + "; the agent, streams and simulator are still being built. Available now: topics, version.");
        return VirtioFleet.EXIT_USAGE;
    }
}
