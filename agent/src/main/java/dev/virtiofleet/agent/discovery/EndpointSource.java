package dev.virtiofleet.agent.discovery;

import dev.virtiofleet.agent.qmp.QmpEndpoint;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Where monitors are found. Asked again every interval, so it reports what exists now. */
@FunctionalInterface
public interface EndpointSource {
    Set<QmpEndpoint> discover();

    /** All of {@code sources} together. */
    static EndpointSource combined(List<EndpointSource> sources) {
        List<EndpointSource> copy = List.copyOf(sources);
        return () -> {
            Set<QmpEndpoint> all = new HashSet<>();
            copy.forEach(source -> all.addAll(source.discover()));
            return Set.copyOf(all);
        };
    }
}
