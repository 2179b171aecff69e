package dev.virtiofleet.streams.rules;

import dev.virtiofleet.streams.observe.DeviceSnapshot;
import dev.virtiofleet.streams.observe.DeviceStatusView;

/** A rule judged on the device status of a single sample; its clock counts event time. */
public non-sealed interface DeviceRule extends Rule {
    Verdict evaluate(DeviceSnapshot device, DeviceStatusView status);
}
