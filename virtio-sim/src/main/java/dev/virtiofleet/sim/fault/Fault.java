package dev.virtiofleet.sim.fault;

import dev.virtiofleet.qapi.features.FeatureCatalog;
import dev.virtiofleet.sim.device.DeviceHealth;
import dev.virtiofleet.sim.device.DeviceSpec;
import dev.virtiofleet.sim.device.QueueCondition;
import dev.virtiofleet.sim.device.VirtioDevice;
import dev.virtiofleet.sim.machine.MonitorCondition;
import dev.virtiofleet.sim.machine.QueueRef;
import dev.virtiofleet.sim.machine.SimulatedVm;
import java.util.List;

/**
 * A failure that can be switched on and off at run time on one VM, device or queue. Injecting
 * takes effect at the VM's current instant; recovering undoes it and lets the ring progress again.
 */
public sealed interface Fault {
    void inject(SimulatedVm vm);

    void recover(SimulatedVm vm);

    /** The backend stops completing: used-idx freezes while the request it took stays in use. */
    record BackendHang(QueueRef queue) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(), device -> {
                device.setCondition(queue.queue(), QueueCondition.BACKEND_HUNG);
                // The request that hangs: the guest issued it, the backend took it and never answered.
                if (vm.running()) {
                    device.run(queue.queue(), 1);
                }
            });
        }

        @Override
        public void recover(SimulatedVm vm) {
            setHealthy(vm, queue);
        }
    }

    /** The device misses the guest's kick: avail advances in guest memory, nothing is taken. */
    record LostNotification(QueueRef queue) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(), device -> device.setCondition(queue.queue(), QueueCondition.NOTIFICATION_LOST));
        }

        @Override
        public void recover(SimulatedVm vm) {
            setHealthy(vm, queue);
        }
    }

    /** The device completes requests but never interrupts the guest, which then waits forever. */
    record CompletionNotSignalled(QueueRef queue) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(),
                    device -> device.setCondition(queue.queue(), QueueCondition.COMPLETES_WITHOUT_INTERRUPT));
        }

        @Override
        public void recover(SimulatedVm vm) {
            setHealthy(vm, queue);
        }
    }

    /**
     * Not a fault: the guest polls the queue with interrupts suppressed (NAPI), so used-idx runs
     * ahead of signalled-used while everything progresses. Lets tests prove detection stays quiet.
     */
    record GuestPolling(QueueRef queue) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(), device -> device.setGuestPolling(queue.queue(), true));
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(), device -> device.setGuestPolling(queue.queue(), false));
        }
    }

    /** A vhost-user backend stopped a ring (GET_VRING_BASE); recovering restarts it. */
    record VhostRingStopped(QueueRef queue) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(queue.deviceId(), device -> device.setCondition(queue.queue(), QueueCondition.VHOST_RING_STOPPED));
        }

        @Override
        public void recover(SimulatedVm vm) {
            setHealthy(vm, queue);
        }
    }

    /** The device is broken (QEMU error), asks for reset, or the guest marked it failed. */
    record DeviceFailure(String deviceId, DeviceHealth health) implements Fault {
        public DeviceFailure {
            if (health == DeviceHealth.HEALTHY) {
                throw new IllegalArgumentException("a device failure needs BROKEN, NEEDS_RESET or FAILED");
            }
        }

        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(deviceId, device -> device.setHealth(health));
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.alterDevice(deviceId, device -> device.setHealth(DeviceHealth.HEALTHY));
        }
    }

    /** The guest acks a feature the host did not offer, e.g. {@code VIRTIO_F_RING_PACKED}. */
    record FeatureViolation(String deviceId, String featureSymbol) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(deviceId, device -> device.ackUnoffered(bitsOf(device, featureSymbol)));
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.alterDevice(deviceId, VirtioDevice::restoreNegotiation);
        }
    }

    /** The guest leaves an offered feature unacked, e.g. {@code VIRTIO_F_VERSION_1} (negotiation degraded). */
    record FeatureNotNegotiated(String deviceId, String featureSymbol) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(deviceId, device -> device.withholdFromGuest(bitsOf(device, featureSymbol)));
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.alterDevice(deviceId, VirtioDevice::restoreNegotiation);
        }
    }

    /** The vhost backend runs with a feature the guest never acked. */
    record VhostDesync(String deviceId, String featureSymbol) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.alterDevice(deviceId, device -> device.vhostAckBeyondGuest(bitsOf(device, featureSymbol)));
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.alterDevice(deviceId, VirtioDevice::restoreNegotiation);
        }
    }

    /** The VM is paused (STOP); recovering resumes it (RESUME). */
    record VmPaused() implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.stop();
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.cont();
        }
    }

    /** The device is unplugged (DEVICE_DELETED); recovering plugs a fresh one back in. */
    record HotUnplug(DeviceSpec device) implements Fault {
        @Override
        public void inject(SimulatedVm vm) {
            vm.unplug(device.id());
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.plug(device);
        }
    }

    /** The QMP monitor hangs or answers garbage. */
    record MonitorFailure(MonitorCondition condition) implements Fault {
        public MonitorFailure {
            if (condition == MonitorCondition.RESPONSIVE) {
                throw new IllegalArgumentException("a monitor failure needs HUNG or GARBAGE");
            }
        }

        @Override
        public void inject(SimulatedVm vm) {
            vm.setMonitorCondition(condition);
        }

        @Override
        public void recover(SimulatedVm vm) {
            vm.setMonitorCondition(MonitorCondition.RESPONSIVE);
        }
    }

    private static void setHealthy(SimulatedVm vm, QueueRef queue) {
        vm.alterDevice(queue.deviceId(), device -> device.setCondition(queue.queue(), QueueCondition.HEALTHY));
    }

    private static long bitsOf(VirtioDevice device, String symbol) {
        int deviceId = device.spec().type().deviceId();
        return FeatureCatalog.encode(deviceId, List.of(symbol));
    }
}
