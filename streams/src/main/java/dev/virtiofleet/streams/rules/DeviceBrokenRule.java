package dev.virtiofleet.streams.rules;

import dev.virtiofleet.avro.AlertKind;
import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Device broken: QEMU's broken flag (a protocol violation), or status NEEDS_RESET, or FAILED. */
public final class DeviceBrokenRule implements DeviceRule {

    @Override
    public AlertKind kind() {
        return AlertKind.DEVICE_BROKEN;
    }

    @Override
    public Verdict evaluate(DeviceSnapshot device, DeviceStatusView status) {
        if (!status.broken()) {
            return Verdict.CLEAR;
        }
        List<String> reasons = new ArrayList<>();
        if (status.brokenFlag()) {
            reasons.add("QEMU marked it broken");
        }
        if (status.statuses().contains(DeviceStatusView.NEEDS_RESET)) {
            reasons.add("status NEEDS_RESET");
        }
        if (status.statuses().contains(DeviceStatusView.FAILED)) {
            reasons.add("status FAILED");
        }
        return Verdict.holds(new Finding(String.join(", ", reasons), 0, Map.of(),
                Map.of("broken", Boolean.toString(status.brokenFlag()), "statuses", String.join(",", status.statuses()))));
    }
}
