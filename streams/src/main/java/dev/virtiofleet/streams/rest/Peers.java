package dev.virtiofleet.streams.rest;

import java.net.URI;
import java.util.List;

/** The other instances of the application, whose REST endpoints hold the rest of the fleet. */
@FunctionalInterface
public interface Peers {
    List<URI> others();

    static Peers none() {
        return List::of;
    }
}
