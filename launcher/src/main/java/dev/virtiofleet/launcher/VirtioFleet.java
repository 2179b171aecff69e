package dev.virtiofleet.launcher;

import dev.virtiofleet.launcher.topics.TopicsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code virtio-fleet} command. Exit codes scripts can rely on: 0 success, 1 the command ran
 * and found a problem (e.g. topics differ), 2 bad usage or configuration, 3 a needed service (the
 * Kafka cluster) could not be reached.
 */
@Command(
        name = "virtio-fleet",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Fleet monitoring for virtio devices: QMP agent, Kafka Streams detection, virtqueue simulator.",
        subcommands = {DemoCommand.class, AgentCommand.class, StreamsCommand.class, SimCommand.class, TopicsCommand.class,
                VersionCommand.class, CommandLine.HelpCommand.class})
public final class VirtioFleet {
    public static final int EXIT_OK = 0;
    public static final int EXIT_PROBLEM_FOUND = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_UNREACHABLE = 3;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line; tests run it in-process. */
    public static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new VirtioFleet());
        // A usage mistake is one line naming it, like every other error; --help shows the whole usage.
        commandLine.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(cmd.getColorScheme().errorText(name + ": " + oneLine(e) + " (see: " + name + " --help)"));
            return EXIT_USAGE;
        });
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getColorScheme().errorText(cmd.getCommandSpec().qualifiedName() + ": " + oneLine(e)));
            return e instanceof ServiceUnreachableException ? EXIT_UNREACHABLE : EXIT_USAGE;
        });
        return commandLine;
    }

    private static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
