/**
 * Per-device detection over time: rule clocks (paused time excluded), device epochs, and the alert lifecycle.
 */
package dev.virtiofleet.streams.detect;
