/**
 * Which virtqueues are request queues and which are buffer pools, per device type (virtio spec).
 */
package dev.virtiofleet.streams.roles;
