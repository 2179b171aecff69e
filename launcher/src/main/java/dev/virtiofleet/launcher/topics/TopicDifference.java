package dev.virtiofleet.launcher.topics;

import dev.virtiofleet.topics.TopicSpec;
import java.util.Map;

/** How one existing topic compares with its spec, and what {@code apply} did about it. */
public record TopicDifference(TopicSpec spec, State state, String detail) {

    public enum State {
        /** Exists as specified. */
        OK,
        /** Did not exist; created (or would be, on a dry run). */
        CREATED,
        /** Configs differed; altered (or would be). */
        CONFIGS_UPDATED,
        /** Differs in a way apply will not change by itself (e.g. partition count). */
        NEEDS_ATTENTION,
        /** Missing or different, found by verify. */
        DIFFERS
    }

    static String describeConfigs(Map<String, String> differing) {
        StringBuilder out = new StringBuilder();
        differing.forEach((key, value) -> out.append(out.isEmpty() ? "" : ", ").append(key).append(" -> ").append(value));
        return out.toString();
    }
}
