package dev.virtiofleet.launcher;

import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The {@code --duration} of every long-running command: until SIGTERM/Ctrl-C, or this long. */
final class RunFor {
    @Option(names = "--duration", paramLabel = "D", converter = DurationConverter.class,
            description = "Stop after this long, e.g. 90s, 5m or PT1M (default: run until SIGTERM/Ctrl-C)")
    Optional<Duration> duration = Optional.empty();

    Optional<Duration> duration() {
        return duration;
    }

    /** E.g. " for 1m30s", or " until SIGTERM/Ctrl-C". */
    String describe() {
        return duration.map(d -> " for " + d.toString().substring(2).toLowerCase()).orElse(" until SIGTERM/Ctrl-C");
    }
}
