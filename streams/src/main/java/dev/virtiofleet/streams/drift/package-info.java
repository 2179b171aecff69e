/**
 * Feature drift: a device whose host features differ from the prevailing set of its model within its fleet group.
 */
package dev.virtiofleet.streams.drift;
