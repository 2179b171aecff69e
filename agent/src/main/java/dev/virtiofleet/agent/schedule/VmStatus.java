package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.agent.poll.VmIdentity;
import dev.virtiofleet.agent.qmp.QemuVersion;
import dev.virtiofleet.agent.qmp.QmpEndpoint;
import dev.virtiofleet.avro.MonitorState;
import dev.virtiofleet.avro.VmReport;
import java.util.Optional;

/**
 * One monitor as the scheduler sees it, for heartbeats and logs.
 *
 * @param sweeps              sweeps run (whatever their outcome)
 * @param sampledSweeps       sweeps that produced at least one sample
 * @param timedOutSweeps      sweeps that ended in a timeout, over the whole run
 * @param consecutiveTimeouts the current streak, which drives the circuit breaker
 */
public record VmStatus(QmpEndpoint endpoint, MonitorState state, VmIdentity identity, Optional<QemuVersion> qemuVersion,
        int virtioDevices, Optional<String> lastError, long sweeps, long sampledSweeps, long timedOutSweeps,
        int consecutiveTimeouts) {

    /** This monitor's entry in the agent heartbeat. */
    public VmReport toReport() {
        return VmReport.newBuilder()
                .setSocket(endpoint.describe())
                .setVmName(identity.name().orElse(null))
                .setVmUuid(identity.uuid().orElse(null))
                .setQemuVersion(qemuVersion.map(v -> new dev.virtiofleet.avro.QemuVersion(v.major(), v.minor(), v.micro(),
                        v.packageName())).orElse(null))
                .setMonitorState(state)
                .setVirtioDevices(virtioDevices)
                .setLastError(lastError.orElse(null))
                .build();
    }

    static VmStatus initial(QmpEndpoint endpoint) {
        return new VmStatus(endpoint, MonitorState.CONNECTING, VmIdentity.UNKNOWN, Optional.empty(), 0, Optional.empty(),
                0, 0, 0, 0);
    }

    VmStatus connecting(String problem) {
        return new VmStatus(endpoint, MonitorState.CONNECTING, identity, qemuVersion, virtioDevices, Optional.of(problem),
                sweeps, sampledSweeps, timedOutSweeps, consecutiveTimeouts);
    }

    VmStatus connected(VmIdentity who, QemuVersion version) {
        return new VmStatus(endpoint, MonitorState.CONNECTED, who, Optional.of(version), virtioDevices, lastError,
                sweeps, sampledSweeps, timedOutSweeps, consecutiveTimeouts);
    }

    /**
     * After one sweep. {@code devices} is empty when the sweep did not get the device list;
     * {@code problem}, when present, becomes the last error.
     */
    VmStatus afterSweep(MonitorState now, Optional<String> problem, Optional<Integer> devices, boolean sampled,
            boolean timedOut, int timeoutStreak) {
        return new VmStatus(endpoint, now, identity, qemuVersion, devices.orElse(virtioDevices),
                problem.isPresent() ? problem : lastError, sweeps + 1, sampledSweeps + (sampled ? 1 : 0),
                timedOutSweeps + (timedOut ? 1 : 0), timeoutStreak);
    }
}
