/**
 * Alert episodes and the FIRING/RESOLVED records built from them, with stable ids and evidence.
 */
package dev.virtiofleet.streams.alerts;
