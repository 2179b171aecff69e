/**
 * Every detection threshold, declared once with defaults, documentation and validation.
 */
package dev.virtiofleet.streams.config;
