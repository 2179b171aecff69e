package dev.virtiofleet.streams.observe;

import dev.virtiofleet.topics.DeviceKey;
import java.util.List;
import java.util.Optional;

/**
 * One sample of one device, validated and reduced to what detection judges.
 *
 * @param key which device
 * @param ref the sample's time and agent coordinates
 * @param vmName VM name, when known
 * @param vmUuid VM UUID, when known
 * @param deviceName device model name
 * @param vmRunning whether the VM was known to be running; unknown counts as not running, since a
 *     paused VM's rings do not move and must not be judged
 * @param status the device status, when it could be read
 * @param queues the queues that were polled
 * @param gone whether QEMU said the path is no longer a virtio device (unplugged)
 */
public record DeviceSnapshot(
        DeviceKey key,
        SampleRef ref,
        Optional<String> vmName,
        Optional<String> vmUuid,
        String deviceName,
        boolean vmRunning,
        Optional<DeviceStatusView> status,
        List<QueueView> queues,
        boolean gone) {

    public DeviceSnapshot {
        queues = List.copyOf(queues);
    }

    public DeviceIdentity identity() {
        return new DeviceIdentity(key, vmName, vmUuid, deviceName, status.map(DeviceStatusView::deviceId), Optional.empty());
    }
}
