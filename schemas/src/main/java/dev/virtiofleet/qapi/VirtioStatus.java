package dev.virtiofleet.qapi;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** Full status of one virtio device: {@code x-query-virtio-status}. */
public record VirtioStatus(
        @JsonProperty(value = "name", required = true) String name,
        @JsonProperty(value = "device-id", required = true) int deviceId,
        @JsonProperty(value = "vhost-started", required = true) boolean vhostStarted,
        @JsonProperty(value = "device-endian", required = true) String deviceEndian,
        @JsonProperty(value = "guest-features", required = true) VirtioDeviceFeatures guestFeatures,
        @JsonProperty(value = "host-features", required = true) VirtioDeviceFeatures hostFeatures,
        @JsonProperty(value = "backend-features", required = true) VirtioDeviceFeatures backendFeatures,
        @JsonProperty(value = "num-vqs", required = true) long numVqs,
        @JsonProperty(value = "status", required = true) VirtioDeviceStatus status,
        @JsonProperty(value = "isr", required = true) int isr,
        @JsonProperty(value = "queue-sel", required = true) int queueSel,
        @JsonProperty(value = "vm-running", required = true) boolean vmRunning,
        @JsonProperty(value = "broken", required = true) boolean broken,
        @JsonProperty(value = "disabled", required = true) boolean disabled,
        @JsonProperty(value = "use-started", required = true) boolean useStarted,
        @JsonProperty(value = "started", required = true) boolean started,
        @JsonProperty(value = "start-on-kick", required = true) boolean startOnKick,
        // The QAPI examples spell it "disabled-legacy-check"; QEMU itself sends "disable-legacy-check".
        @JsonProperty(value = "disable-legacy-check", required = true) @JsonAlias("disabled-legacy-check")
                boolean disableLegacyCheck,
        @JsonProperty(value = "bus-name", required = true) String busName,
        @JsonProperty(value = "use-guest-notifier-mask", required = true) boolean useGuestNotifierMask,
        @JsonProperty("vhost-dev") Optional<VhostStatus> vhostDev) {

    public VirtioStatus {
        QapiRanges.required("name", name);
        QapiRanges.uint16("device-id", deviceId);
        QapiRanges.required("device-endian", deviceEndian);
        QapiRanges.required("guest-features", guestFeatures);
        QapiRanges.required("host-features", hostFeatures);
        QapiRanges.required("backend-features", backendFeatures);
        QapiRanges.required("status", status);
        QapiRanges.uint8("isr", isr);
        QapiRanges.uint16("queue-sel", queueSel);
        QapiRanges.required("bus-name", busName);
        QapiRanges.required("vhost-dev", vhostDev);
    }
}
