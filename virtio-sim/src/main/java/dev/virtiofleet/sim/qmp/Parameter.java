package dev.virtiofleet.sim.qmp;

/** One declared argument of a QMP command, as its QAPI schema declares it. */
public record Parameter(String name, Type type, boolean required) {
    public enum Type {
        STRING,
        UINT16,
        STRING_LIST
    }

    public static Parameter required(String name, Type type) {
        return new Parameter(name, type, true);
    }

    public static Parameter optional(String name, Type type) {
        return new Parameter(name, type, false);
    }
}
