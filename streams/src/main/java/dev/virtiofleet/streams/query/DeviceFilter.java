package dev.virtiofleet.streams.query;

import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.observe.DeviceIdentity;
import java.util.Optional;

/**
 * Which devices a health query asks about; an empty part matches everything.
 *
 * @param host host id
 * @param vm VM name or UUID
 * @param device QOM path
 */
public record DeviceFilter(Optional<String> host, Optional<String> vm, Optional<String> device) {
    public static final DeviceFilter ALL = new DeviceFilter(Optional.empty(), Optional.empty(), Optional.empty());

    boolean test(DeviceState state) {
        DeviceIdentity identity = state.identity();
        return host.map(h -> h.equals(identity.key().hostId())).orElse(true)
                && vm.map(v -> v.equals(identity.key().vm()) || identity.vmName().map(v::equals).orElse(false)
                        || identity.vmUuid().map(v::equals).orElse(false)).orElse(true)
                && device.map(d -> d.equals(identity.key().devicePath())).orElse(true);
    }
}
