/**
 * The agent's QMP client: {@link dev.virtiofleet.agent.qmp.QmpConnection} over unix sockets or
 * TCP, with id-correlated pipelining, events at any point, per-command deadlines, bounded reads,
 * and a read-only allowlist ({@link dev.virtiofleet.agent.qmp.ReadOnlyCommands}) enforced before
 * anything is written.
 */
package dev.virtiofleet.agent.qmp;
