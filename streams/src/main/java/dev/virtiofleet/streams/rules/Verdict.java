package dev.virtiofleet.streams.rules;

/** What a rule concludes from one sample. */
public sealed interface Verdict {

    /** The condition holds; the finding says what was seen. */
    record Holds(Finding finding) implements Verdict {}

    /** The condition does not hold. */
    record Clear() implements Verdict {}

    /**
     * The sample lacks what the rule needs (a command failed, the queue element was not sent): the
     * rule's clock and any firing alert stay as they are, rather than resolve for want of data.
     */
    record Unknown(String missing) implements Verdict {}

    Verdict CLEAR = new Clear();

    static Verdict holds(Finding finding) {
        return new Holds(finding);
    }

    static Verdict unknown(String missing) {
        return new Unknown(missing);
    }
}
