/**
 * The Kafka Streams topology, its processors, state serdes and Kafka Streams settings (exactly-once v2, dead letters).
 */
package dev.virtiofleet.streams.topology;
