package dev.virtiofleet.streams.observe;

import dev.virtiofleet.topics.DeviceKey;
import java.util.Optional;

/**
 * Who a device is, for alert subjects and health records.
 *
 * @param key host, VM and path
 * @param vmName VM name, when known
 * @param vmUuid VM UUID, when known
 * @param deviceName device model name
 * @param deviceId virtio device type number, once a status was read
 * @param group the fleet group of its host, when groups are configured
 */
public record DeviceIdentity(DeviceKey key, Optional<String> vmName, Optional<String> vmUuid, String deviceName,
        Optional<Integer> deviceId, Optional<String> group) {

    public DeviceIdentity inGroup(Optional<String> fleetGroup) {
        return new DeviceIdentity(key, vmName, vmUuid, deviceName, deviceId, fleetGroup);
    }
}
