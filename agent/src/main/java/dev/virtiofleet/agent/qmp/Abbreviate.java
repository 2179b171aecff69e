package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** Keeps foreign bytes quoted in errors and logs short. */
final class Abbreviate {
    private static final int LIMIT = 200;

    private Abbreviate() {}

    static String json(JsonNode node) {
        return text(node.toString());
    }

    static String text(String text) {
        return text.length() <= LIMIT ? text : text.substring(0, LIMIT) + "... (" + text.length() + " chars)";
    }
}
