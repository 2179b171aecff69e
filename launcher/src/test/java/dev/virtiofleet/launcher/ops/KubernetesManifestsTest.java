package dev.virtiofleet.launcher.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.virtiofleet.agent.runtime.AgentConfig;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes parsed into fabric8's typed Kubernetes models. The models keep fields they do
 * not know in additionalProperties instead of failing, so every object of every manifest is walked
 * and any such field is an error: a typo (`readOnlly`) or a field at the wrong level is caught, as
 * is a wrong type, which the models reject while parsing.
 */
class KubernetesManifestsTest {
    private static final Path ROOT = OpsFiles.project();
    private static final Path MANIFESTS = ROOT.resolve("deploy/kubernetes");
    private static final ObjectMapper STRICT = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "v1/Namespace", Namespace.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/Service", Service.class,
            "apps/v1/StatefulSet", StatefulSet.class,
            "apps/v1/DaemonSet", DaemonSet.class,
            "batch/v1/Job", Job.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

    private static List<HasMetadata> resources() {
        List<HasMetadata> resources = new ArrayList<>();
        for (Path file : OpsFiles.list(MANIFESTS, ".yaml")) {
            for (JsonNode document : OpsFiles.yamlDocuments(file)) {
                resources.add(typed(file.getFileName() + " " + document.path("kind").asText(), document));
            }
        }
        return resources;
    }

    private static HasMetadata typed(String where, JsonNode document) {
        String type = document.path("apiVersion").asText() + "/" + document.path("kind").asText();
        Class<? extends HasMetadata> model = KINDS.get(type);
        if (model == null) {
            throw new AssertionError(where + ": " + type + " is not a kind these manifests are checked as; known: " + KINDS.keySet());
        }
        HasMetadata resource;
        try {
            resource = STRICT.treeToValue(document, model);
        } catch (Exception e) {
            throw new AssertionError(where + ": does not parse as " + model.getSimpleName() + ": " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        walk(resource, model.getSimpleName(), unknown);
        if (!unknown.isEmpty()) {
            throw new AssertionError(where + ": fields the Kubernetes API does not have: " + unknown);
        }
        return resource;
    }

    private static void walk(Object value, String path, List<String> unknown) {
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", unknown);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> walk(item, path + "." + key, unknown));
        } else if (value != null && value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            for (Method getter : value.getClass().getMethods()) {
                if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                        || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                Object child;
                try {
                    child = getter.invoke(value);
                } catch (IllegalAccessException | InvocationTargetException e) {
                    unknown.add(path + "." + getter.getName() + ": " + e.getCause());
                    continue;
                }
                if (getter.getName().equals("getAdditionalProperties")) {
                    if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        unknown.add(path + ": " + extra.keySet());
                    }
                } else {
                    walk(child, path + "." + Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4), unknown);
                }
            }
        }
    }

    private static <T extends HasMetadata> T one(Class<T> kind, String name) {
        return resources().stream().filter(kind::isInstance).map(kind::cast).filter(r -> r.getMetadata().getName().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind.getSimpleName() + " " + name + " in deploy/kubernetes"));
    }

    @Test
    void everyManifestParsesIntoTypedModelsWithoutUnknownFields() {
        List<HasMetadata> resources = resources();
        assertEquals(KINDS.values().stream().map(Class::getSimpleName).sorted().toList(),
                resources.stream().map(r -> r.getClass().getSimpleName()).distinct().sorted().toList());
        resources.forEach(r -> assertTrue(r.getKind().equals("Namespace") || "virtio-fleet".equals(r.getMetadata().getNamespace()), r.toString()));
    }

    @Test
    void anUnknownFieldOrAWrongTypeIsRejected() throws Exception {
        JsonNode agent = OpsFiles.yamlDocuments(MANIFESTS.resolve("40-agent.yaml")).getFirst();
        String text = OpsFiles.JSON.writeValueAsString(agent);
        JsonNode typo = OpsFiles.JSON.readTree(text.replaceFirst("\"readOnly\"", "\"readOnlly\""));
        AssertionError unknown = assertThrows(AssertionError.class, () -> typed("typo", typo));
        assertTrue(unknown.getMessage().contains("readOnlly"), unknown.getMessage());
        JsonNode wrongType = OpsFiles.JSON.readTree(text.replaceFirst("\"terminationGracePeriodSeconds\":45", "\"terminationGracePeriodSeconds\":\"soon\""));
        assertThrows(AssertionError.class, () -> typed("wrong type", wrongType));
    }

    @Test
    void streamsRunAsAStatefulSetBehindAHeadlessServiceAdvertisingEachPodsStableName() throws Exception {
        StatefulSet streams = one(StatefulSet.class, "virtio-fleet-streams");
        Service headless = one(Service.class, streams.getSpec().getServiceName());
        assertEquals("None", headless.getSpec().getClusterIP());
        assertEquals(streams.getSpec().getSelector().getMatchLabels(), headless.getSpec().getSelector());
        Container container = container(streams.getSpec().getTemplate().getSpec(), "streams");
        assertEquals("/healthz", container.getLivenessProbe().getHttpGet().getPath());
        assertEquals("/readyz", container.getReadinessProbe().getHttpGet().getPath());
        assertRequests(container, "1", "1Gi");
        int port = container.getPorts().getFirst().getContainerPort();

        String template = one(ConfigMap.class, "virtio-fleet-streams").getData().get("streams.yaml");
        String pod = streams.getMetadata().getName() + "-0";
        StreamsAppConfig parsed = StreamsAppConfig.parse(template.replace("__POD_NAME__", pod), "ConfigMap virtio-fleet-streams");
        assertEquals(Optional.of(pod + "." + headless.getMetadata().getName() + "." + headless.getMetadata().getNamespace()
                + ".svc.cluster.local:" + port), parsed.streams().advertisedRest());
        assertEquals(Optional.of(pod), parsed.streams().instanceId());
        assertTrue(parsed.streams().standbyReplicas() >= 1, parsed.toString());
        assertEquals(port, parsed.restListen().getPort());
        assertTrue(streams.getSpec().getTemplate().getSpec().getInitContainers().getFirst().getCommand().toString().contains("__POD_NAME__"));
    }

    @Test
    void theAgentRunsOnVmNodesWithTheQmpSocketsReadOnlyAndAWritableSpool(@TempDir Path spool) throws Exception {
        DaemonSet agent = one(DaemonSet.class, "virtio-fleet-agent");
        PodSpec pod = agent.getSpec().getTemplate().getSpec();
        assertFalse(pod.getNodeSelector().isEmpty());
        Container container = container(pod, "agent");
        assertRequests(container, "100m", "256Mi");
        VolumeMount qmp = mount(container, "qmp");
        VolumeMount spoolMount = mount(container, "spool");
        assertEquals(Boolean.TRUE, qmp.getReadOnly());
        assertFalse(Boolean.TRUE.equals(spoolMount.getReadOnly()));
        assertTrue(volume(pod, "qmp").getHostPath() != null && volume(pod, "spool").getHostPath() != null);

        String template = one(ConfigMap.class, "virtio-fleet-agent").getData().get("agent.yaml");
        JsonNode config = readYaml(template.replace("__NODE_NAME__", "node-1"));
        config.path("discovery").path("socket-globs").forEach(glob -> assertTrue(glob.asText().startsWith(qmp.getMountPath() + "/"), glob.asText()));
        assertEquals(spoolMount.getMountPath(), config.path("publish").path("spool-dir").asText());
        // The agent's own checks; the spool directory is this test's, as the host's is not here.
        AgentConfig parsed = AgentConfig.parse(template.replace("__NODE_NAME__", "node-1").replace(spoolMount.getMountPath(), spool.toString()), "40-agent ConfigMap");
        assertEquals("node-1", parsed.hostId());
    }

    @Test
    void topicsAreAppliedByAJobAndDeclaredNowhereInTheManifests() {
        Container topics = container(one(Job.class, "virtio-fleet-topics").getSpec().getTemplate().getSpec(), "topics");
        String command = String.join(" ", topics.getCommand());
        assertTrue(command.contains("virtio-fleet.jar topics apply --bootstrap-servers "), command);
        for (Path file : OpsFiles.list(MANIFESTS, ".yaml")) {
            String text = OpsFiles.read(file).lines().filter(line -> !line.strip().startsWith("#")).collect(java.util.stream.Collectors.joining("\n"));
            for (String declaration : List.of("partitions", "retention.ms", "cleanup.policy", "kafka-topics")) {
                assertFalse(text.contains(declaration), file + " declares topics (" + declaration + "); FleetTopics is the one place");
            }
        }
    }

    private static JsonNode readYaml(String text) {
        try {
            return OpsFiles.YAML.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("not YAML: " + e.getMessage(), e);
        }
    }

    private static Container container(PodSpec pod, String name) {
        return pod.getContainers().stream().filter(c -> c.getName().equals(name)).findFirst().orElseThrow();
    }

    private static VolumeMount mount(Container container, String name) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow();
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst().orElseThrow();
    }

    /** The design's sizing: agent 100m / 256Mi for 500 VMs, streams 1 CPU / 1Gi. */
    private static void assertRequests(Container container, String cpu, String memory) {
        Map<String, Quantity> requests = container.getResources().getRequests();
        assertEquals(Quantity.getAmountInBytes(new Quantity(cpu)), Quantity.getAmountInBytes(requests.get("cpu")), container.getName() + " cpu");
        assertEquals(Quantity.getAmountInBytes(new Quantity(memory)), Quantity.getAmountInBytes(requests.get("memory")), container.getName() + " memory");
        assertTrue(container.getResources().getLimits().containsKey("memory"), container.getName() + " has no memory limit");
    }
}
