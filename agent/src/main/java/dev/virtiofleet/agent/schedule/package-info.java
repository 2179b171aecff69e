/**
 * When VMs are polled: one virtual thread per VM at its own phase of the interval, reconnect
 * backoff, and a circuit breaker per VM after repeated timeouts ({@link
 * dev.virtiofleet.agent.schedule.FleetScheduler}).
 */
package dev.virtiofleet.agent.schedule;
