package dev.virtiofleet.sim.machine;

import dev.virtiofleet.sim.device.DeviceSpec;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.ring.GuestMemory;
import dev.virtiofleet.sim.workload.Traffic;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A running simulated VM: its devices, run state, per-queue traffic and monitor condition.
 *
 * <p>Rings move lazily: whenever the VM is looked at or changed, it first catches up to the
 * clock, applying each queue's traffic for the time that passed while it was running. So a VM
 * costs nothing between polls and a test clock makes every index deterministic. All methods are
 * thread-safe (one lock per VM).
 */
public final class SimulatedVm {
    private final String name;
    private final UUID uuid;
    private final InstantSource clock;
    private final Instant bootTime;
    private final GuestMemory memory = new GuestMemory(GuestMemory.DEFAULT_BASE);
    private final List<VirtioDevice> devices = new ArrayList<>();
    // What devicesNewestFirst hands out, remade when a device comes or goes: a sweep asks on every look.
    private List<VirtioDevice> newestFirst = List.of();
    private final Map<QueueRef, Driven> traffic = new HashMap<>();
    private final List<VmListener> listeners = new CopyOnWriteArrayList<>();
    private Instant caughtUpTo;
    private boolean running = true;
    private MonitorCondition monitor = MonitorCondition.RESPONSIVE;

    public SimulatedVm(VmSpec spec, InstantSource clock) {
        this.name = spec.name();
        this.uuid = spec.uuid();
        this.clock = clock;
        this.bootTime = clock.instant();
        this.caughtUpTo = bootTime;
        spec.devices().forEach(this::realize);
    }

    public String name() {
        return name;
    }

    public UUID uuid() {
        return uuid;
    }

    public synchronized boolean running() {
        return running;
    }

    /** Catches up to the clock, then reads or changes the VM atomically. */
    public synchronized <T> T observe(Function<SimulatedVm, T> reader) {
        catchUp();
        return reader.apply(this);
    }

    /**
     * Catches up to the clock, then changes one device (faults switch at an exact instant); a
     * running device then acts on the change at once, e.g. completes what a recovered backend held.
     */
    public synchronized void alterDevice(String deviceId, Consumer<VirtioDevice> change) {
        catchUp();
        VirtioDevice device = device(deviceId);
        change.accept(device);
        if (running) {
            settle(device);
        }
    }

    /**
     * Devices as {@code x-query-virtio} lists them: most recently realized first. Immutable, and
     * the very same list until a device is plugged or unplugged.
     */
    public synchronized List<VirtioDevice> devicesNewestFirst() {
        return newestFirst;
    }

    public synchronized Optional<VirtioDevice> deviceAt(String path) {
        for (VirtioDevice device : devices) {
            if (device.path().equals(path)) {
                return Optional.of(device);
            }
        }
        return Optional.empty();
    }

    /** The device with this id; an error naming the ids there are if it does not exist. */
    public synchronized VirtioDevice device(String deviceId) {
        for (VirtioDevice device : devices) {
            if (device.id().equals(deviceId)) {
                return device;
            }
        }
        throw new IllegalArgumentException("VM " + name + " has no device " + deviceId + "; it has "
                + devices.stream().map(VirtioDevice::id).toList());
    }

    /** Sets how many operations a queue sees from now on. */
    public synchronized void setTraffic(QueueRef queue, Traffic pattern) {
        catchUp();
        VirtioDevice device = device(queue.deviceId());
        if (!device.hasQueue(queue.queue())) {
            throw new IllegalArgumentException("device " + queue.deviceId() + " has no queue " + queue.queue());
        }
        if (pattern instanceof Traffic.Idle) {
            traffic.remove(queue);
        } else {
            traffic.put(queue, new Driven(device, queue.queue(), pattern));
        }
    }

    /** QMP {@code stop}: pauses the guest and raises STOP; nothing if already paused, as QEMU. */
    public synchronized void stop() {
        catchUp();
        if (running) {
            running = false;
            emit("STOP", Map.of());
        }
    }

    /** QMP {@code cont}: resumes the guest and raises RESUME; nothing if already running. */
    public synchronized void cont() {
        catchUp();
        if (!running) {
            running = true;
            // Whatever changed while the guest was paused (a recovered backend) takes effect now.
            devices.forEach(SimulatedVm::settle);
            emit("RESUME", Map.of());
        }
    }

    /**
     * Removes a device as a completed {@code device_del} does: QEMU raises DEVICE_DELETED for the
     * virtio backend (path only), then for the device itself (id and path).
     */
    public synchronized void unplug(String deviceId) {
        catchUp();
        VirtioDevice gone = device(deviceId);
        devices.remove(gone);
        newestFirst = List.copyOf(devices.reversed());
        traffic.keySet().removeIf(ref -> ref.deviceId().equals(deviceId));
        emit("DEVICE_DELETED", Map.of("path", gone.path()));
        emit("DEVICE_DELETED", Map.of("device", deviceId, "path", "/machine/peripheral/" + deviceId));
    }

    /** Adds a device ({@code device_add}); it is realized last, so x-query-virtio lists it first. */
    public synchronized void plug(DeviceSpec spec) {
        catchUp();
        if (devices.stream().anyMatch(d -> d.id().equals(spec.id()))) {
            throw new IllegalArgumentException("VM " + name + " already has a device " + spec.id());
        }
        realize(spec);
    }

    public synchronized MonitorCondition monitorCondition() {
        return monitor;
    }

    public synchronized void setMonitorCondition(MonitorCondition condition) {
        this.monitor = condition;
        listeners.forEach(l -> l.onMonitorChanged(condition));
    }

    public void addListener(VmListener listener) {
        listeners.add(listener);
    }

    public void removeListener(VmListener listener) {
        listeners.remove(listener);
    }

    private static void settle(VirtioDevice device) {
        for (int q = 0; q < device.queueCount(); q++) {
            device.run(q, 0);
        }
    }

    private void realize(DeviceSpec spec) {
        devices.add(new VirtioDevice(spec, memory));
        newestFirst = List.copyOf(devices.reversed());
    }

    private void catchUp() {
        Instant now = clock.instant();
        if (!now.isAfter(caughtUpTo)) {
            return;
        }
        // Only queues with traffic move between changes: anything a fault or recovery leaves to do is
        // done when it is switched (alterDevice), so an idle VM costs nothing to look at.
        if (running) {
            Duration from = Duration.between(bootTime, caughtUpTo);
            Duration to = Duration.between(bootTime, now);
            traffic.values().forEach(driven -> driven.device().run(driven.queue(), driven.pattern().between(from, to)));
        }
        caughtUpTo = now;
    }

    private void emit(String event, Map<String, String> data) {
        VmEvent raised = new VmEvent(event, data, clock.instant());
        listeners.forEach(l -> l.onEvent(raised));
    }

    /** A queue's traffic with its device, found once: catching up runs every busy queue on every look at the VM. */
    private record Driven(VirtioDevice device, int queue, Traffic pattern) {}
}
