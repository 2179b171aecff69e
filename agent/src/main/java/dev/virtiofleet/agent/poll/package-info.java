/**
 * Sweeping one VM: {@link dev.virtiofleet.agent.poll.VmPoller} turns pipelined x-query-virtio*
 * queries into one {@code VirtioSample} per device, keeps the vhost-user safety rule ({@link
 * dev.virtiofleet.agent.poll.VhostUserRule}), records expected QMP errors as data, and reads idle
 * queues only on census sweeps ({@link dev.virtiofleet.agent.poll.SweepPolicy}).
 */
package dev.virtiofleet.agent.poll;
