/**
 * The {@code DeviceHealth} record of the compacted virtio.health topic.
 */
package dev.virtiofleet.streams.health;
