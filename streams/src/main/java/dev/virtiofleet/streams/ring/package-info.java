/**
 * Index arithmetic on split virtqueues: free-running 16-bit counters compared modulo 65536.
 */
package dev.virtiofleet.streams.ring;
