/**
 * The read-only JSON API, answering for the whole fleet by fanning out to the other instances.
 */
package dev.virtiofleet.streams.rest;
