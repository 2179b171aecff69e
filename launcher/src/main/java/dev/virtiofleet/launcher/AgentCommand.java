package dev.virtiofleet.launcher;

import dev.virtiofleet.agent.runtime.Agent;
import dev.virtiofleet.agent.runtime.AgentConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Runs the per-host agent until SIGTERM/Ctrl-C: on the signal it stops polling and delivers or
 * spools every sample it made before the JVM exits.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = {"Poll this host's QEMU monitors (read-only QMP) and publish virtio samples and heartbeats to Kafka.",
                "The configuration is checked at start: an unknown key, a wrong type or an unwritable spool directory ends it with exit 2.",
                "Runs until SIGTERM/Ctrl-C (or --duration); on the signal it stops polling and delivers or spools what it holds."})
final class AgentCommand implements Callable<Integer> {
    /** Shutdown waits for the publisher's close timeout and a little more, never forever. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(30);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Agent configuration (YAML; every key is shown in deploy/agent/agent.yaml)")
    Path config;

    @Mixin
    RunFor runFor;

    @Override
    public Integer call() throws Exception {
        AgentConfig agentConfig = AgentConfig.load(config);
        PrintWriter out = spec.commandLine().getOut();
        // The signal is released only once the agent has delivered or spooled its samples, and said so.
        try (StopSignal signal = StopSignal.install("agent", SHUTDOWN_GRACE)) {
            try (Agent agent = Agent.start(agentConfig, Version.current())) {
                out.printf("agent: host %s running%s%n", agentConfig.hostId(), runFor.describe());
                out.flush();
                signal.await(runFor.duration());
            }
            out.println("agent: stopped");
            out.flush();
        }
        return VirtioFleet.EXIT_OK;
    }
}
