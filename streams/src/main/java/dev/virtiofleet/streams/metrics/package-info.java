/**
 * Gauges over the detection state for OpenTelemetry (bounded cardinality).
 */
package dev.virtiofleet.streams.metrics;
