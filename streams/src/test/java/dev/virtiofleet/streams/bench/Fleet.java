package dev.virtiofleet.streams.bench;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.testing.Samples;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A synthetic fleet made of the real running-guest transcript: every VM has its seven virtio
 * devices (scsi, keyboard, balloon, serial, rng, blk, net) with the transcript's status and queue
 * state; VMs spread over hosts with their own name, UUID and agent run. The blk request queue of a
 * healthy VM completes work between polls (used-idx moves); {@link #stalled} freezes it with one
 * request taken and not returned, the shape of the hung-backend transcript.
 */
final class Fleet {
    static final int VMS_PER_HOST = 20;
    private static final int BLK_DEVICE = Samples.RUNNING_DEVICES.indexOf(Samples.BLK);

    /** One VM's devices, already carrying its host, name and UUID. */
    record Vm(int index, List<VirtioSample> devices) {
        VirtioSample blk() {
            return devices.get(BLK_DEVICE);
        }
    }

    private final List<Vm> vms;

    private Fleet(List<Vm> vms) {
        this.vms = vms;
    }

    /** At least {@code devices} devices: whole VMs of seven. */
    static Fleet ofDevices(int devices) {
        return ofVms((devices + Samples.RUNNING_DEVICES.size() - 1) / Samples.RUNNING_DEVICES.size());
    }

    static Fleet ofVms(int count) {
        List<VirtioSample> guest = Samples.RUNNING_DEVICES.stream().map(path -> Samples.of(Samples.RUNNING, path, false)).toList();
        List<Vm> vms = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String host = "hv-%04d.example".formatted(i / VMS_PER_HOST);
            String name = "guest-%05d".formatted(i);
            String uuid = UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
            String run = UUID.nameUUIDFromBytes(host.getBytes(StandardCharsets.UTF_8)).toString();
            List<VirtioSample> devices = new ArrayList<>();
            for (VirtioSample device : guest) {
                devices.add(VirtioSample.newBuilder(device).setHostId(host).setVmName(name).setVmUuid(uuid).setAgentRunId(run).build());
            }
            vms.add(new Vm(i, List.copyOf(devices)));
        }
        return new Fleet(List.copyOf(vms));
    }

    List<Vm> vms() {
        return vms;
    }

    int deviceCount() {
        return vms.size() * Samples.RUNNING_DEVICES.size();
    }

    /** Queues per VM, from the transcript's devices. */
    int queuesPerVm() {
        return vms.isEmpty() ? 0 : vms.getFirst().devices().stream().mapToInt(d -> d.getQueues().size()).sum();
    }

    int queueCount() {
        return vms.size() * queuesPerVm();
    }

    /** The {@code poll}-th sample of a device of a healthy VM: the blk request queue has completed 17 requests per poll. */
    static VirtioSample healthy(Vm vm, int device, int poll, Instant eventTime) {
        VirtioSample template = vm.devices().get(device);
        VirtioSample sample = Samples.at(template, eventTime, poll);
        if (device != BLK_DEVICE) {
            return sample;
        }
        int used = (baseUsed(template) + 17 * poll) & 0xFFFF;
        return Samples.ring(sample, 0, used, used, used, 0);
    }

    /** The blk device of a VM whose backend stopped completing at {@code frozenPoll}: one request taken, used-idx frozen. */
    static VirtioSample stalled(Vm vm, int frozenPoll, int poll, Instant eventTime) {
        VirtioSample template = vm.blk();
        int used = (baseUsed(template) + 17 * frozenPoll) & 0xFFFF;
        int avail = (used + 1) & 0xFFFF;
        return Samples.ring(Samples.at(template, eventTime, poll), 0, used, avail, avail, 1);
    }

    static int blkDevice() {
        return BLK_DEVICE;
    }

    private static int baseUsed(VirtioSample blk) {
        return blk.getQueues().getFirst().getStatus().getUsedIdx();
    }
}
