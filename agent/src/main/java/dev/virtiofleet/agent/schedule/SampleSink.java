package dev.virtiofleet.agent.schedule;

import dev.virtiofleet.avro.VirtioSample;

/** Where samples go (the publisher). Called from the VMs' poll threads; must not block. */
@FunctionalInterface
public interface SampleSink {
    void accept(VirtioSample sample);
}
