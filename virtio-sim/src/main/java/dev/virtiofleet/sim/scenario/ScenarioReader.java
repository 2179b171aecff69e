package dev.virtiofleet.sim.scenario;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.device.DeviceSpec;
import dev.virtiofleet.sim.device.NetOptions;
import dev.virtiofleet.sim.device.VhostKind;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.ReferenceMachines;
import dev.virtiofleet.sim.machine.VmSpec;
import dev.virtiofleet.sim.workload.Traffic;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and validates a scenario file. The format, with every key and its default:
 *
 * <pre>
 * seed: 0                          # VM UUIDs derive from it: the same file gives the same fleet
 * hosts:
 *   - name: hv-01                  # one socket directory per host
 *     vms:
 *       - name: db                 # with count > 1: db-00, db-01, ...
 *         count: 1
 *         machine: transcript-guest
 *         blkQueues: 1
 *         blkBackend: qemu         # or vhost-user (reported as virtio-blk, rings stop on queue-status)
 *         net: {queuePairs: 1, mrgRxbuf: true, ctrlVlan: true, vhost: none}   # vhost: none|kernel|user
 *         traffic:                 # device/queue: pattern; unlisted queues are idle
 *           blk0/0: {steady: 30000}                           # operations per second
 *           net0/0: {bursty: 2000, period: 10s, burst: 2s}
 *           net0/1: {diurnal: 500, period: 24h}
 * timeline:
 *   - at: 30s                      # after start; units ms, s, m, h, d
 *     inject: backend-hang         # or recover: backend-hang
 *     target: hv-01/db-03/blk0/0   # host/vm[/device[/queue]] as the fault needs
 *     feature: VIRTIO_F_RING_PACKED  # only for feature-violation, feature-not-negotiated, vhost-desync
 * </pre>
 *
 * Every problem is reported at once, each with its key path, the value and what is allowed.
 */
public final class ScenarioReader {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final List<String> MACHINES = List.of("transcript-guest");

    /** What {@link #parseDuration} accepts. */
    public static final String DURATION_EXAMPLES = "500ms, 30s, 5m, 2h, 1d";

    /** A duration as scenario files write it: a whole number and one of the units ms, s, m, h, d. */
    public static Optional<Duration> parseDuration(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches() || m.group(1).length() > 12) {
            return Optional.empty();
        }
        long amount = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofDays(amount);
        });
    }

    /** Reads a scenario file. */
    public Scenario read(Path file) throws IOException, ScenarioException {
        return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Parses scenario text; {@code source} names it in errors. */
    public Scenario parse(String source, String yaml) throws ScenarioException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ScenarioException(source, List.of("not YAML: " + e.getOriginalMessage()));
        }
        Parse parse = new Parse();
        Optional<Scenario> scenario = parse.scenario(root == null ? YAML.createObjectNode() : root);
        if (!parse.problems.isEmpty() || scenario.isEmpty()) {
            throw new ScenarioException(source, parse.problems);
        }
        return scenario.get();
    }

    /** One parse: collects problems instead of stopping at the first. */
    private static final class Parse {
        private final List<String> problems = new ArrayList<>();

        Optional<Scenario> scenario(JsonNode root) {
            if (!object(root, "(top level)", Set.of("seed", "hosts", "timeline"))) {
                return Optional.empty();
            }
            long seed = root.has("seed") ? integer(root.get("seed"), "seed", 0, Long.MAX_VALUE).orElse(0L) : 0L;
            JsonNode hostsNode = root.path("hosts");
            if (!hostsNode.isArray() || hostsNode.isEmpty()) {
                problems.add("hosts = " + shown(hostsNode) + ": a non-empty list of hosts is required");
                return Optional.empty();
            }
            List<HostPlan> hosts = new ArrayList<>();
            Set<String> hostNames = new HashSet<>();
            for (int i = 0; i < hostsNode.size(); i++) {
                host(hostsNode.get(i), "hosts[" + i + "]", seed).ifPresent(host -> {
                    if (!hostNames.add(host.name())) {
                        problems.add("hosts: host name " + host.name() + " is used twice");
                    }
                    hosts.add(host);
                });
            }
            List<TimelineStep> timeline = new ArrayList<>();
            JsonNode steps = root.path("timeline");
            if (!steps.isMissingNode() && !steps.isArray()) {
                problems.add("timeline = " + shown(steps) + ": a list of steps is required");
            }
            for (int i = 0; i < steps.size(); i++) {
                step(steps.get(i), "timeline[" + i + "]", hosts).ifPresent(timeline::add);
            }
            timeline.sort(Comparator.comparing(TimelineStep::at));
            return Optional.of(new Scenario(seed, hosts, timeline));
        }

        private Optional<HostPlan> host(JsonNode node, String path, long seed) {
            if (!object(node, path, Set.of("name", "vms"))) {
                return Optional.empty();
            }
            Optional<String> name = name(node.get("name"), path + ".name");
            JsonNode vmsNode = node.path("vms");
            if (!vmsNode.isArray() || vmsNode.isEmpty()) {
                problems.add(path + ".vms = " + shown(vmsNode) + ": a non-empty list of VMs is required");
                return Optional.empty();
            }
            List<VmPlan> vms = new ArrayList<>();
            Set<String> vmNames = new HashSet<>();
            for (int i = 0; i < vmsNode.size(); i++) {
                for (VmPlan vm : vmGroup(vmsNode.get(i), path + ".vms[" + i + "]", name.orElse("?"), seed)) {
                    if (!vmNames.add(vm.spec().name())) {
                        problems.add(path + ": VM name " + vm.spec().name() + " is used twice on this host");
                    }
                    vms.add(vm);
                }
            }
            return name.map(n -> new HostPlan(n, vms));
        }

        private List<VmPlan> vmGroup(JsonNode node, String path, String host, long seed) {
            if (!object(node, path, Set.of("name", "count", "machine", "blkQueues", "blkBackend", "net", "traffic"))) {
                return List.of();
            }
            Optional<String> name = name(node.get("name"), path + ".name");
            long count = node.has("count") ? integer(node.get("count"), path + ".count", 1, 100_000).orElse(1L) : 1;
            String machine = node.path("machine").asText("transcript-guest");
            if (!MACHINES.contains(machine)) {
                problems.add(path + ".machine = " + machine + ": allowed " + MACHINES);
            }
            int blkQueues = (int) (node.has("blkQueues")
                    ? integer(node.get("blkQueues"), path + ".blkQueues", 1, 64).orElse(1L) : 1);
            String blkBackend = node.path("blkBackend").asText("qemu");
            if (!List.of("qemu", "vhost-user").contains(blkBackend)) {
                problems.add(path + ".blkBackend = " + blkBackend + ": allowed qemu, vhost-user");
            }
            Optional<NetOptions> net = net(node.path("net"), path + ".net");
            if (name.isEmpty() || net.isEmpty()) {
                return List.of();
            }
            List<VmPlan> plans = new ArrayList<>();
            int digits = String.valueOf(count - 1).length();
            for (long i = 0; i < count; i++) {
                String vmName = count == 1 ? name.get() : name.get() + "-" + String.format("%0" + digits + "d", i);
                UUID uuid = Scenario.vmUuid(seed, host, vmName);
                VmSpec spec = ReferenceMachines.transcriptGuest(vmName, uuid, net.get(), blkQueues,
                        blkBackend.equals("vhost-user"));
                Map<QueueRef, Traffic> traffic = i == 0 ? traffic(node.path("traffic"), path + ".traffic", spec)
                        : plans.getFirst().traffic();
                plans.add(new VmPlan(spec, traffic));
            }
            return plans;
        }

        private Optional<NetOptions> net(JsonNode node, String path) {
            NetOptions defaults = NetOptions.defaults();
            if (node.isMissingNode()) {
                return Optional.of(defaults);
            }
            if (!object(node, path, Set.of("queuePairs", "mrgRxbuf", "ctrlVlan", "vhost"))) {
                return Optional.empty();
            }
            long pairs = node.has("queuePairs") ? integer(node.get("queuePairs"), path + ".queuePairs", 1, 64).orElse(1L) : 1;
            boolean mrgRxbuf = bool(node, "mrgRxbuf", path, defaults.mrgRxbuf());
            boolean ctrlVlan = bool(node, "ctrlVlan", path, defaults.ctrlVlan());
            String vhost = node.path("vhost").asText("none");
            Optional<VhostKind> kind = switch (vhost) {
                case "none" -> Optional.empty();
                case "kernel" -> Optional.of(VhostKind.KERNEL);
                case "user" -> Optional.of(VhostKind.USER);
                default -> {
                    problems.add(path + ".vhost = " + vhost + ": allowed none, kernel, user");
                    yield Optional.empty();
                }
            };
            return Optional.of(new NetOptions((int) pairs, mrgRxbuf, ctrlVlan, kind));
        }

        private Map<QueueRef, Traffic> traffic(JsonNode node, String path, VmSpec vm) {
            Map<QueueRef, Traffic> traffic = new LinkedHashMap<>();
            if (node.isMissingNode()) {
                return traffic;
            }
            if (!node.isObject()) {
                problems.add(path + " = " + shown(node) + ": a map of device/queue to pattern is required");
                return traffic;
            }
            Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
            while (entries.hasNext()) {
                Map.Entry<String, JsonNode> entry = entries.next();
                String key = path + "." + entry.getKey();
                String[] parts = entry.getKey().split("/");
                if (parts.length != 2 || !parts[1].matches("\\d{1,4}")) {
                    problems.add(key + ": keys are device/queue, e.g. blk0/0");
                    continue;
                }
                Optional<QueueRef> queue = queueOf(vm, parts[0], Integer.parseInt(parts[1]), key);
                Optional<Traffic> pattern = pattern(entry.getValue(), key);
                if (queue.isPresent() && pattern.isPresent()) {
                    traffic.put(queue.get(), pattern.get());
                }
            }
            return traffic;
        }

        private Optional<Traffic> pattern(JsonNode node, String path) {
            if (node.isTextual() && node.asText().equals("idle")) {
                return Optional.of(Traffic.IDLE);
            }
            String allowed = "idle, {steady: rate}, {bursty: rate, period: 10s, burst: 2s}, {diurnal: peak, period: 24h}";
            if (!node.isObject()) {
                problems.add(path + " = " + shown(node) + ": allowed " + allowed);
                return Optional.empty();
            }
            try {
                if (node.has("steady") && object(node, path, Set.of("steady"))) {
                    return rate(node.get("steady"), path + ".steady").map(Traffic::steady);
                }
                if (node.has("bursty") && object(node, path, Set.of("bursty", "period", "burst"))) {
                    Optional<Double> rate = rate(node.get("bursty"), path + ".bursty");
                    Optional<Duration> period = duration(node.get("period"), path + ".period");
                    Optional<Duration> burst = duration(node.get("burst"), path + ".burst");
                    if (rate.isPresent() && period.isPresent() && burst.isPresent()) {
                        return Optional.of(Traffic.bursty(rate.get(), period.get(), burst.get()));
                    }
                    return Optional.empty();
                }
                if (node.has("diurnal") && object(node, path, Set.of("diurnal", "period"))) {
                    Optional<Double> rate = rate(node.get("diurnal"), path + ".diurnal");
                    Optional<Duration> period = duration(node.get("period"), path + ".period");
                    return rate.flatMap(r -> period.map(p -> Traffic.diurnal(r, p)));
                }
            } catch (IllegalArgumentException e) {
                problems.add(path + ": " + e.getMessage());
                return Optional.empty();
            }
            if (!node.has("steady") && !node.has("bursty") && !node.has("diurnal")) {
                problems.add(path + " = " + shown(node) + ": allowed " + allowed);
            }
            return Optional.empty();
        }

        private Optional<TimelineStep> step(JsonNode node, String path, List<HostPlan> hosts) {
            if (!object(node, path, Set.of("at", "inject", "recover", "target", "feature"))) {
                return Optional.empty();
            }
            Optional<Duration> at = duration(node.get("at"), path + ".at");
            if (node.has("inject") == node.has("recover")) {
                problems.add(path + ": exactly one of inject or recover is required");
                return Optional.empty();
            }
            boolean inject = node.has("inject");
            String kindName = node.path(inject ? "inject" : "recover").asText();
            Optional<FaultKind> found = FaultKind.named(kindName);
            if (found.isEmpty()) {
                problems.add(path + "." + (inject ? "inject" : "recover") + " = " + kindName + ": allowed "
                        + FaultKind.names());
                return Optional.empty();
            }
            FaultKind kind = found.get();
            String target = node.path("target").asText("");
            String[] parts = target.split("/");
            if (parts.length != kind.target.parts()) {
                problems.add(path + ".target = " + shown(node.path("target")) + ": " + kindName + " needs "
                        + kind.target.form);
                return Optional.empty();
            }
            Optional<VmSpec> vm = hosts.stream().filter(h -> h.name().equals(parts[0]))
                    .flatMap(h -> h.vms().stream()).map(VmPlan::spec).filter(s -> s.name().equals(parts[1])).findFirst();
            if (vm.isEmpty()) {
                problems.add(path + ".target = " + target + ": no VM " + parts[1] + " on host " + parts[0]);
                return Optional.empty();
            }
            String device = parts.length > 2 ? parts[2] : "";
            int queue = 0;
            if (parts.length > 2 && deviceOf(vm.get(), device, path + ".target").isEmpty()) {
                return Optional.empty();
            }
            if (parts.length > 3) {
                if (!parts[3].matches("\\d{1,4}")) {
                    problems.add(path + ".target = " + target + ": the queue must be a number");
                    return Optional.empty();
                }
                queue = Integer.parseInt(parts[3]);
                if (queueOf(vm.get(), device, queue, path + ".target").isEmpty()) {
                    return Optional.empty();
                }
            }
            String feature = node.path("feature").asText("");
            if (kind.needsFeature) {
                DeviceSpec spec = deviceOf(vm.get(), device, path + ".target").orElseThrow();
                OptionalInt bit = FeatureCatalog.bitOf(spec.type().deviceId(), feature);
                if (bit.isEmpty()) {
                    problems.add(path + ".feature = " + shown(node.path("feature")) + ": a feature symbol of "
                            + spec.type().qemuName() + " is required, e.g. VIRTIO_F_RING_PACKED");
                    return Optional.empty();
                }
                Optional<String> unfit = featureUnfit(kind, spec, 1L << bit.getAsInt());
                if (unfit.isPresent()) {
                    problems.add(path + ".feature = " + feature + ": " + unfit.get());
                    return Optional.empty();
                }
            } else if (node.has("feature")) {
                problems.add(path + ".feature: only feature-violation, feature-not-negotiated and vhost-desync "
                        + "take a feature");
                return Optional.empty();
            }
            Fault fault = kind.build(new FaultKind.Targeted(vm.get(), device, queue, feature));
            String description = kindName + " " + target + (feature.isEmpty() ? "" : " " + feature);
            return at.map(when -> new TimelineStep(when, inject, parts[0], parts[1], fault, description));
        }

        private static Optional<String> featureUnfit(FaultKind kind, DeviceSpec spec, long bit) {
            boolean offered = (spec.hostFeatures() & bit) != 0;
            boolean acked = (spec.guestFeatures() & bit) != 0;
            return switch (kind) {
                case FEATURE_VIOLATION -> offered
                        ? Optional.of("the host offers it; a violation needs a feature the host does not offer")
                        : Optional.empty();
                case FEATURE_NOT_NEGOTIATED -> acked ? Optional.empty()
                        : Optional.of("the guest does not ack it anyway; name a feature it acks");
                case VHOST_DESYNC -> spec.vhost().isEmpty()
                        ? Optional.of("vhost-desync needs a device with a vhost backend")
                        : acked ? Optional.of("the guest acks it; a desync needs a feature the guest did not ack")
                        : Optional.empty();
                default -> Optional.empty();
            };
        }

        private Optional<DeviceSpec> deviceOf(VmSpec vm, String device, String path) {
            Optional<DeviceSpec> spec = vm.devices().stream().filter(d -> d.id().equals(device)).findFirst();
            if (spec.isEmpty()) {
                problems.add(path + ": VM " + vm.name() + " has no device " + device + "; it has "
                        + vm.devices().stream().map(DeviceSpec::id).toList());
            }
            return spec;
        }

        private Optional<QueueRef> queueOf(VmSpec vm, String device, int queue, String path) {
            return deviceOf(vm, device, path).flatMap(spec -> {
                if (queue >= spec.queues().size()) {
                    problems.add(path + ": " + device + " has queues 0.." + (spec.queues().size() - 1) + ", not " + queue);
                    return Optional.empty();
                }
                return Optional.of(new QueueRef(device, queue));
            });
        }

        /** Whether {@code node} is a map; reports it if not, and reports keys outside {@code allowed}. */
        private boolean object(JsonNode node, String path, Set<String> allowed) {
            if (node == null || !node.isObject()) {
                problems.add(path + " = " + shown(node) + ": a map with keys " + sorted(allowed) + " is required");
                return false;
            }
            // Unknown keys are reported but do not stop checking the rest of the map.
            Iterator<String> keys = node.fieldNames();
            while (keys.hasNext()) {
                String key = keys.next();
                if (!allowed.contains(key)) {
                    problems.add(path + "." + key + ": unknown key; allowed " + sorted(allowed));
                }
            }
            return true;
        }

        private Optional<String> name(JsonNode node, String path) {
            if (node == null || !node.isTextual() || !NAME.matcher(node.asText()).matches()) {
                problems.add(path + " = " + shown(node) + ": a name of letters, digits, '-', '_', '.' is required");
                return Optional.empty();
            }
            return Optional.of(node.asText());
        }

        private Optional<Long> integer(JsonNode node, String path, long min, long max) {
            if (!node.canConvertToExactIntegral() || node.asLong() < min || node.asLong() > max) {
                problems.add(path + " = " + shown(node) + ": an integer " + min + ".." + max + " is required");
                return Optional.empty();
            }
            return Optional.of(node.asLong());
        }

        private Optional<Double> rate(JsonNode node, String path) {
            if (!node.isNumber() || node.asDouble() < 0) {
                problems.add(path + " = " + shown(node) + ": a rate >= 0 (operations per second) is required");
                return Optional.empty();
            }
            return Optional.of(node.asDouble());
        }

        private boolean bool(JsonNode parent, String key, String path, boolean fallback) {
            JsonNode node = parent.get(key);
            if (node == null) {
                return fallback;
            }
            if (!node.isBoolean()) {
                problems.add(path + "." + key + " = " + shown(node) + ": true or false is required");
                return fallback;
            }
            return node.asBoolean();
        }

        private Optional<Duration> duration(JsonNode node, String path) {
            Optional<Duration> duration = node != null && node.isTextual() ? parseDuration(node.asText()) : Optional.empty();
            if (duration.isEmpty()) {
                problems.add(path + " = " + shown(node) + ": a duration such as " + DURATION_EXAMPLES + " is required");
            }
            return duration;
        }

        private static String shown(JsonNode node) {
            return node == null || node.isMissingNode() ? "(absent)" : node.toString();
        }

        private static List<String> sorted(Set<String> keys) {
            return keys.stream().sorted().toList();
        }
    }
}
