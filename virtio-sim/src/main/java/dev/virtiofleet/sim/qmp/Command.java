package dev.virtiofleet.sim.qmp;

import java.util.List;
import java.util.function.Function;

/** A QMP command: its name, declared parameters and what it does with checked arguments. */
public record Command(String name, List<Parameter> parameters, Function<Arguments, QmpReply> handler) {
    public Command {
        parameters = List.copyOf(parameters);
    }
}
