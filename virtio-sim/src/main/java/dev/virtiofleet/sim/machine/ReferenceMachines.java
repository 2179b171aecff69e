package dev.virtiofleet.sim.machine;

import dev.virtiofleet.sim.device.LinuxGuestDevices;
import dev.virtiofleet.sim.device.NetOptions;
import java.util.List;
import java.util.UUID;

/** VMs configured like the real ones behind {@code shared/qmp-transcripts}. */
public final class ReferenceMachines {
    private ReferenceMachines() {}

    /**
     * The transcripts' VM: QEMU 7.2, Linux 6.1 guest, devices realized net0, blk0, rng0, ser0,
     * bal0, kbd0, scsi0 (x-query-virtio lists them newest first).
     */
    public static VmSpec transcriptGuest(String name, UUID uuid, NetOptions net) {
        return transcriptGuest(name, uuid, net, 1, false);
    }

    /**
     * The transcripts' VM with {@code blkQueues} request queues on blk0, served by QEMU itself or,
     * with {@code vhostUserBlk}, by a vhost-user backend.
     */
    public static VmSpec transcriptGuest(String name, UUID uuid, NetOptions net, int blkQueues, boolean vhostUserBlk) {
        return new VmSpec(name, uuid, List.of(
                LinuxGuestDevices.net("net0", net),
                vhostUserBlk ? LinuxGuestDevices.vhostUserBlk("blk0", blkQueues) : LinuxGuestDevices.blk("blk0", blkQueues),
                LinuxGuestDevices.rng("rng0"),
                LinuxGuestDevices.serial("ser0"),
                LinuxGuestDevices.balloon("bal0"),
                LinuxGuestDevices.input("kbd0"),
                LinuxGuestDevices.scsi("scsi0")));
    }
}
