package dev.virtiofleet.launcher;

import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
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
 * Runs the detection application until SIGTERM/Ctrl-C: on the signal it commits what it has
 * processed and leaves its group, so its partitions move to the other instances at once.
 */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = {"Run the Kafka Streams detection application: alerts, device health, REST API, /metrics.",
                "The configuration is checked at start: an unknown key, a wrong type or a bad value ends it with exit 2.",
                "Runs until SIGTERM/Ctrl-C (or --duration); on the signal it commits and leaves its consumer group."})
final class StreamsCommand implements Callable<Integer> {
    /** Kafka Streams' close waits up to 30 s for the commit; a little more for the REST server. */
    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(40);

    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE",
            description = "Detection configuration (YAML; every key is shown in deploy/streams/streams.yaml)")
    Path config;

    @Mixin
    RunFor runFor;

    @Override
    public Integer call() throws Exception {
        StreamsAppConfig appConfig = StreamsAppConfig.load(config);
        PrintWriter out = spec.commandLine().getOut();
        try (StopSignal signal = StopSignal.install("streams", SHUTDOWN_GRACE)) {
            try (DetectionApplication application = new DetectionApplication(appConfig)) {
                application.start();
                String base = "http://" + appConfig.restListen().getHostString() + ":" + application.restPort();
                out.printf("streams: application %s on %s; REST %s/alerts, metrics %s/metrics, probes %s/healthz %s/readyz%n",
                        appConfig.streams().applicationId(), appConfig.streams().bootstrapServers(), base, base, base, base);
                out.flush();
                signal.await(runFor.duration());
            }
            out.println("streams: stopped");
            out.flush();
        }
        return VirtioFleet.EXIT_OK;
    }
}
