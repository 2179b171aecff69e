/**
 * DESIGN.md's detection table, one class per rule: each judges one sample into a {@link dev.virtiofleet.streams.rules.Verdict}.
 */
package dev.virtiofleet.streams.rules;
