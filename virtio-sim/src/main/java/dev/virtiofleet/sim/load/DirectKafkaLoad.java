package dev.virtiofleet.sim.load;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.sim.machine.SimulatedVm;
import dev.virtiofleet.sim.qmp.QemuVersion;
import dev.virtiofleet.topics.SampleProducerSettings;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The direct-to-Kafka load mode: sweeps simulated VMs in process ({@link InProcessSweep}) and
 * publishes the samples as an agent on each host would (same key, topic and producer guarantees,
 * the sample serde's very bytes), without QMP sockets, at rates no agent fleet on one machine could
 * produce: the sweep takes the model's answers as they are ({@link InProcessSweep#direct}) and
 * {@link SampleEncoder} re-encodes only what changed since a device's previous sample. Each host
 * gets its own run id and sequence; each VM is swept by one thread, so a device's samples stay in
 * order, and with at least as many hosts as threads each host by one thread.
 */
public final class DirectKafkaLoad implements AutoCloseable {
    private static final Duration MAX_BLOCK = Duration.ofSeconds(10);
    private final DirectLoadConfig config;
    private final Producer<byte[], byte[]> producer;
    private final List<List<Swept>> shares = new ArrayList<>();
    private final List<HostRun> runs = new ArrayList<>();
    private final Pacer pacer;
    private final LongAdder sent = new LongAdder();
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> lastFailure = new AtomicReference<>();
    private final List<Thread> background = new ArrayList<>();
    private volatile boolean stopping;

    /** Prepares to sweep {@code hosts} (host id to its VMs) and connects the producer. */
    public DirectKafkaLoad(Map<String, List<SimulatedVm>> hosts, DirectLoadConfig config, InstantSource clock) {
        this.config = config;
        this.pacer = new Pacer(config.samplesPerSecond());
        for (int t = 0; t < config.threads(); t++) {
            shares.add(new ArrayList<>());
        }
        int next = 0;
        Map<String, HostRun> hostRuns = new HashMap<>();
        for (String host : hosts.keySet()) {
            HostRun run = new HostRun(host, UUID.randomUUID().toString());
            hostRuns.put(host, run);
            runs.add(run);
        }
        List<Map<String, List<SimulatedVm>>> threadShares = shareOut(hosts, shares.size());
        for (int t = 0; t < threadShares.size(); t++) {
            for (Map.Entry<String, List<SimulatedVm>> host : threadShares.get(t).entrySet()) {
                for (SimulatedVm vm : host.getValue()) {
                    shares.get(t).add(new Swept(hostRuns.get(host.getKey()), InProcessSweep.direct(vm, QemuVersion.DEBIAN_7_2, clock)));
                    next++;
                }
            }
        }
        if (next == 0) {
            throw new IllegalArgumentException("no VMs to sweep");
        }
        this.producer = new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            producer.partitionsFor(config.topic());
        } catch (KafkaException e) {
            producer.close(Duration.ZERO);
            throw new KafkaUnavailableException("topic " + config.topic() + " is not available at " + config.bootstrapServers()
                    + " within " + MAX_BLOCK.toSeconds() + " s: " + e.getMessage(), e);
        }
    }

    /**
     * Which VMs of {@code hosts} (host id to its VMs) each of {@code threads} sweeps, by host. With
     * at least as many hosts as threads, each host goes whole to one thread, as an agent is one
     * process (and a host's sequence is then never contended between threads); otherwise a
     * host's VMs are shared out one by one, so that every thread has work.
     */
    public static List<Map<String, List<SimulatedVm>>> shareOut(Map<String, List<SimulatedVm>> hosts, int threads) {
        List<Map<String, List<SimulatedVm>>> shares = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            shares.add(new LinkedHashMap<>());
        }
        boolean wholeHosts = hosts.size() >= threads;
        int next = 0;
        for (Map.Entry<String, List<SimulatedVm>> host : hosts.entrySet()) {
            for (SimulatedVm vm : host.getValue()) {
                shares.get(next % threads).computeIfAbsent(host.getKey(), h -> new ArrayList<>()).add(vm);
                if (!wholeHosts) {
                    next++;
                }
            }
            if (wholeHosts) {
                next++;
            }
        }
        return shares;
    }

    /** Kafka could not be reached, or the topic does not exist there. */
    public static final class KafkaUnavailableException extends RuntimeException {
        KafkaUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * The agent's producer settings: idempotent, acks from all replicas, zstd, batched; the
     * benchmark's raw producer uses the same so that only the samples' making differs.
     */
    public static Map<String, Object> producerProperties(DirectLoadConfig config) {
        Map<String, Object> props = SampleProducerSettings.common();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L << 20);
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) MAX_BLOCK.toMillis());
        props.putAll(config.kafka());
        return props;
    }

    /** The sample's Kafka key, as the agent writes it: {@code hostId/vmUuid-or-name/devicePath}. */
    public static String keyOf(VirtioSample sample) {
        String vm = sample.getVmUuid() != null ? sample.getVmUuid() : sample.getVmName() != null ? sample.getVmName() : "unidentified";
        return sample.getHostId() + "/" + vm + "/" + sample.getDevicePath();
    }

    /**
     * Sweeps every VM {@code rounds} times on the configured threads, publishing as it goes, and
     * returns once the broker acknowledged (or the producer gave up on) everything sent.
     */
    public LoadStats publishRounds(long rounds) throws InterruptedException {
        List<Thread> workers = new ArrayList<>();
        for (List<Swept> share : shares) {
            if (!share.isEmpty()) {
                workers.add(Thread.ofPlatform().name("direct-load-" + workers.size()).start(() -> sweep(share, rounds)));
            }
        }
        for (Thread worker : workers) {
            worker.join();
        }
        producer.flush();
        return stats();
    }

    /** Publishes in the background, round after round, until {@link #close()}. */
    public synchronized void start() {
        if (!background.isEmpty()) {
            throw new IllegalStateException("the direct load is already running");
        }
        for (List<Swept> share : shares) {
            if (!share.isEmpty()) {
                background.add(Thread.ofPlatform().daemon().name("direct-load-" + background.size())
                        .start(() -> sweep(share, Long.MAX_VALUE)));
            }
        }
    }

    public LoadStats stats() {
        return new LoadStats(sent.sum(), acknowledged.sum(), failed.sum(), Optional.ofNullable(lastFailure.get()));
    }

    /** The hosts' runs: run ids and how many sequence numbers each handed out. */
    public List<HostRun> runs() {
        return List.copyOf(runs);
    }

    /** Stops publishing and waits until what was sent is acknowledged. */
    @Override
    public void close() {
        stopping = true;
        boolean interrupted = false;
        for (Thread worker : background) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        producer.close(MAX_BLOCK);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void sweep(List<Swept> share, long rounds) {
        SampleEncoder encoder = new SampleEncoder();
        for (long round = 0; round < rounds && !stopping; round++) {
            for (Swept swept : share) {
                for (VirtioSample sample : swept.sweep().sweep(swept.run())) {
                    pacer.await();
                    SampleEncoder.Device device = swept.devices().computeIfAbsent(sample.getDevicePath(),
                            path -> new SampleEncoder.Device());
                    byte[] key = device.key(sample);
                    byte[] value = encoder.encode(sample, device);
                    try {
                        producer.send(new ProducerRecord<>(config.topic(), key, value), (metadata, failure) -> {
                            if (failure == null) {
                                acknowledged.increment();
                            } else {
                                failed(failure);
                            }
                        });
                        sent.increment();
                    } catch (KafkaException e) {
                        failed(e);
                    }
                }
                if (stopping) {
                    return;
                }
            }
        }
    }

    private void failed(Exception failure) {
        failed.increment();
        lastFailure.set(failure.toString());
    }

    /** A VM with its host's run, and what its devices' previous samples were encoded to. */
    private record Swept(HostRun run, InProcessSweep sweep, Map<String, SampleEncoder.Device> devices) {
        Swept(HostRun run, InProcessSweep sweep) {
            this(run, sweep, new HashMap<>());
        }
    }

    /** Hands out evenly spaced send slots over all threads; without a rate, never waits. */
    private static final class Pacer {
        private final long intervalNanos;
        private final AtomicLong nextSlot = new AtomicLong(System.nanoTime());

        Pacer(double perSecond) {
            this.intervalNanos = perSecond == 0 ? 0 : Math.max(1, Math.round(1e9 / perSecond));
        }

        void await() {
            if (intervalNanos == 0) {
                return;
            }
            long now = System.nanoTime();
            // A thread that fell behind does not earn a burst: slots in the past are not saved up.
            long slot = nextSlot.getAndUpdate(s -> Math.max(s, now) + intervalNanos);
            long wait = Math.max(slot, now) - now;
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }
}
