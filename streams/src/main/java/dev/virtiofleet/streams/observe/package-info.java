/**
 * A sample (as detection reads it: {@code DetectedSample}) validated and reduced to what detection judges: devices, queues, status.
 */
package dev.virtiofleet.streams.observe;
