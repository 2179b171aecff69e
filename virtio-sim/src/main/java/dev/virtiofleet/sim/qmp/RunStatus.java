package dev.virtiofleet.sim.qmp;

import dev.virtiofleet.sim.machine.SimulatedVm;

/**
 * What {@code query-status} answers, before any JSON.
 *
 * @param status QEMU's run state name: {@code running} or {@code paused}
 * @param running whether the guest's CPUs run
 */
public record RunStatus(String status, boolean running) {
    private static final RunStatus RUNNING = new RunStatus("running", true);
    private static final RunStatus PAUSED = new RunStatus("paused", false);

    public static RunStatus of(SimulatedVm vm) {
        return vm.running() ? RUNNING : PAUSED;
    }
}
