package dev.virtiofleet.sim.machine;

/**
 * Told about events and monitor changes. Called while the VM's lock is held, possibly on any
 * thread: implementations hand the news on and return, never calling back into the VM.
 */
public interface VmListener {
    void onEvent(VmEvent event);

    void onMonitorChanged(MonitorCondition condition);
}
