package dev.virtiofleet.sim.scenario;

import dev.virtiofleet.sim.device.DeviceHealth;
import dev.virtiofleet.sim.device.DeviceSpec;
import dev.virtiofleet.sim.fault.Fault;
import dev.virtiofleet.sim.machine.MonitorCondition;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.VmSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** The faults a scenario timeline names, what target each needs, and how each is built. */
enum FaultKind {
    BACKEND_HANG("backend-hang", Target.QUEUE, false, t -> new Fault.BackendHang(t.queueRef())),
    LOST_NOTIFICATION("lost-notification", Target.QUEUE, false, t -> new Fault.LostNotification(t.queueRef())),
    COMPLETION_NOT_SIGNALLED("completion-not-signalled", Target.QUEUE, false,
            t -> new Fault.CompletionNotSignalled(t.queueRef())),
    GUEST_POLLING("guest-polling", Target.QUEUE, false, t -> new Fault.GuestPolling(t.queueRef())),
    VHOST_RING_STOPPED("vhost-ring-stopped", Target.QUEUE, false, t -> new Fault.VhostRingStopped(t.queueRef())),
    DEVICE_BROKEN("device-broken", Target.DEVICE, false, t -> new Fault.DeviceFailure(t.device(), DeviceHealth.BROKEN)),
    DEVICE_NEEDS_RESET("device-needs-reset", Target.DEVICE, false,
            t -> new Fault.DeviceFailure(t.device(), DeviceHealth.NEEDS_RESET)),
    DEVICE_FAILED("device-failed", Target.DEVICE, false, t -> new Fault.DeviceFailure(t.device(), DeviceHealth.FAILED)),
    FEATURE_VIOLATION("feature-violation", Target.DEVICE, true, t -> new Fault.FeatureViolation(t.device(), t.feature())),
    FEATURE_NOT_NEGOTIATED("feature-not-negotiated", Target.DEVICE, true,
            t -> new Fault.FeatureNotNegotiated(t.device(), t.feature())),
    VHOST_DESYNC("vhost-desync", Target.DEVICE, true, t -> new Fault.VhostDesync(t.device(), t.feature())),
    HOT_UNPLUG("hot-unplug", Target.DEVICE, false, t -> new Fault.HotUnplug(t.deviceSpec())),
    VM_PAUSED("vm-paused", Target.VM, false, t -> new Fault.VmPaused()),
    MONITOR_HUNG("monitor-hung", Target.VM, false, t -> new Fault.MonitorFailure(MonitorCondition.HUNG)),
    MONITOR_GARBAGE("monitor-garbage", Target.VM, false, t -> new Fault.MonitorFailure(MonitorCondition.GARBAGE));

    /** How much of {@code host/vm/device/queue} a fault needs. */
    enum Target {
        VM("host/vm"),
        DEVICE("host/vm/device"),
        QUEUE("host/vm/device/queue");

        final String form;

        Target(String form) {
            this.form = form;
        }

        int parts() {
            return ordinal() + 2;
        }
    }

    /** A resolved target: the VM, and the device, queue and feature where the fault needs them. */
    record Targeted(VmSpec vm, String device, int queue, String feature) {
        QueueRef queueRef() {
            return new QueueRef(device, queue);
        }

        DeviceSpec deviceSpec() {
            return vm.devices().stream().filter(d -> d.id().equals(device)).findFirst().orElseThrow();
        }
    }

    final String yamlName;
    final Target target;
    final boolean needsFeature;
    private final Function<Targeted, Fault> build;

    FaultKind(String yamlName, Target target, boolean needsFeature, Function<Targeted, Fault> build) {
        this.yamlName = yamlName;
        this.target = target;
        this.needsFeature = needsFeature;
        this.build = build;
    }

    Fault build(Targeted targeted) {
        return build.apply(targeted);
    }

    static Optional<FaultKind> named(String yamlName) {
        return Arrays.stream(values()).filter(k -> k.yamlName.equals(yamlName)).findFirst();
    }

    static List<String> names() {
        return Arrays.stream(values()).map(k -> k.yamlName).sorted().toList();
    }
}
