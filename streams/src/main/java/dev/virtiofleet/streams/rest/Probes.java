package dev.virtiofleet.streams.rest;

/** What {@code /healthz} and {@code /readyz} answer, for Kubernetes probes and load balancers. */
public interface Probes {
    /** The application's state in a word, e.g. Kafka Streams' {@code RUNNING}. */
    String state();

    /** False only when restarting the process is the cure (stream threads dead, application in error). */
    boolean live();

    /** True when this instance answers queries from current state. */
    boolean ready();

    /** For a server that only serves queries (tests of the query API). */
    static Probes alwaysReady() {
        return new Probes() {
            @Override
            public String state() {
                return "RUNNING";
            }

            @Override
            public boolean live() {
                return true;
            }

            @Override
            public boolean ready() {
                return true;
            }
        };
    }
}
