/**
 * The detection application: configuration from flat keys, start and clean shutdown.
 */
package dev.virtiofleet.streams.app;
