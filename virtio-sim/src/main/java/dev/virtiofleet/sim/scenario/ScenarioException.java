package dev.virtiofleet.sim.scenario;

import java.util.List;

/** A scenario file that cannot be run; lists every problem found, each naming key, value and what is allowed. */
public final class ScenarioException extends Exception {
    private final List<String> problems;

    public ScenarioException(String source, List<String> problems) {
        super("scenario " + source + " is invalid:\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
