/**
 * Agent silent: hosts whose agent has sent no heartbeat for a number of its poll intervals (wall clock).
 */
package dev.virtiofleet.streams.agents;
