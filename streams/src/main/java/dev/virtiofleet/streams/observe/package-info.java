/**
 * A {@code VirtioSample} validated and reduced to what detection judges: devices, queues, status.
 */
package dev.virtiofleet.streams.observe;
