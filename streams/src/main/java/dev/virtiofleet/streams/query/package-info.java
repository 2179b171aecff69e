/**
 * Read-only questions answered from the local state stores: firing alerts, device health, fleet summary, drift reports.
 */
package dev.virtiofleet.streams.query;
