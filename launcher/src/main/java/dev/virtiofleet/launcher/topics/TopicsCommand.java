package dev.virtiofleet.launcher.topics;

import dev.virtiofleet.launcher.ServiceUnreachableException;
import dev.virtiofleet.launcher.VirtioFleet;
import dev.virtiofleet.topics.FleetTopics;
import dev.virtiofleet.topics.TopicSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "topics", mixinStandardHelpOptions = true,
        description = {"Create or check the virtio-fleet topics (names, partitions, retention, compaction are declared once in FleetTopics).",
                "apply: create missing topics and correct topic configs; never changes a partition count (exit 1 if one differs).",
                "verify: change nothing; exit 1 if any topic is missing or differs."})
public final class TopicsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", description = "apply or verify", paramLabel = "ACTION")
    String action;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,host:port]")
    String bootstrapServers;

    @Option(names = "--command-config", description = "Kafka client properties file (TLS, SASL: security.protocol, ssl.*, sasl.*)")
    Optional<Path> commandConfig;

    @Option(names = "--replication-factor", defaultValue = "3", description = "Replication of created topics (default: ${DEFAULT-VALUE}; 1 for a single broker)")
    short replicationFactor;

    @Option(names = "--partitions", description = "Override a topic's partition count, e.g. --partitions virtio.samples=24")
    Map<String, Integer> partitionOverrides = Map.of();

    @Option(names = "--dry-run", description = "apply: say what would change, change nothing")
    boolean dryRun;

    @Option(names = "--timeout-ms", defaultValue = "30000", description = "How long to wait for the cluster (default: ${DEFAULT-VALUE})")
    int timeoutMs;

    @Override
    public Integer call() throws Exception {
        if (!action.equals("apply") && !action.equals("verify")) {
            throw new ParameterException(spec.commandLine(), "ACTION is '" + action + "'; allowed: apply, verify");
        }
        if (replicationFactor < 1) {
            throw new ParameterException(spec.commandLine(), "--replication-factor is " + replicationFactor + "; must be at least 1");
        }
        List<TopicSpec> specs = specs();
        try (Admin admin = Admin.create(clientProperties())) {
            TopicReconciler reconciler = new TopicReconciler(admin);
            List<TopicDifference> results = action.equals("apply")
                    ? reconciler.apply(specs, replicationFactor, dryRun)
                    : reconciler.verify(specs);
            return report(results);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new ServiceUnreachableException("no answer from Kafka at " + bootstrapServers + " within " + timeoutMs + " ms", e);
            }
            throw e;
        }
    }

    private List<TopicSpec> specs() {
        List<TopicSpec> specs = new ArrayList<>();
        for (TopicSpec topic : FleetTopics.all()) {
            specs.add(partitionOverrides.containsKey(topic.name()) ? topic.withPartitions(partitionOverrides.get(topic.name())) : topic);
        }
        for (String name : partitionOverrides.keySet()) {
            if (FleetTopics.all().stream().noneMatch(t -> t.name().equals(name))) {
                throw new ParameterException(spec.commandLine(), "--partitions names topic '" + name + "'; known topics: "
                        + FleetTopics.all().stream().map(TopicSpec::name).toList());
            }
        }
        return specs;
    }

    private Properties clientProperties() throws IOException {
        Properties props = new Properties();
        if (commandConfig.isPresent()) {
            try (Reader in = Files.newBufferedReader(commandConfig.get())) {
                props.load(in);
            }
        }
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(timeoutMs, 30_000));
        return props;
    }

    private int report(List<TopicDifference> results) {
        PrintWriter out = spec.commandLine().getOut();
        boolean problem = false;
        for (TopicDifference result : results) {
            String verb = dryRun && result.state() != TopicDifference.State.OK ? "would be " : "";
            out.printf("%-22s %s%s%s%n", result.spec().name(), verb, result.state().name().toLowerCase().replace('_', ' '),
                    result.detail().isEmpty() ? "" : ": " + result.detail());
            problem |= result.state() == TopicDifference.State.NEEDS_ATTENTION || result.state() == TopicDifference.State.DIFFERS;
        }
        out.flush();
        return problem ? VirtioFleet.EXIT_PROBLEM_FOUND : VirtioFleet.EXIT_OK;
    }
}
