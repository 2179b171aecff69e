/**
 * The virtqueue simulator: VMs that answer QMP as QEMU 7.2 with a Linux 6.1 guest does.
 *
 * <ul>
 *   <li>{@code ring}: split virtqueues with free-running 16-bit indices and their guest memory layout.
 *   <li>{@code device}: QEMU device models (net, blk, scsi, serial, balloon, rng, input; vhost
 *       backends) with the features, queue roles and idle ring positions of the real transcripts.
 *   <li>{@code workload}: traffic patterns per queue and an injectable clock.
 *   <li>{@code machine}: a VM (devices, run state, events, monitor condition) moving lazily with the clock.
 *   <li>{@code fault}: failures switchable at run time, each with its recovery.
 *   <li>{@code qmp}: the QMP protocol and a selector-based unix-socket server for many VMs.
 *   <li>{@code scenario}: YAML scenario files (hosts, VMs, traffic, fault timeline) and their runs.
 * </ul>
 *
 * {@link dev.virtiofleet.sim.Simulator} starts a host's worth of VMs with their sockets.
 */
package dev.virtiofleet.sim;
