package dev.virtiofleet.launcher;

import dev.virtiofleet.sim.scenario.ScenarioReader;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Every {@code --duration} of the command: written as scenario files write it (30s, 5m) or in ISO-8601 (PT30S); positive. */
final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String text) {
        Duration duration = ScenarioReader.parseDuration(text).orElseGet(() -> {
            try {
                return Duration.parse(text);
            } catch (DateTimeParseException e) {
                return Duration.ZERO;
            }
        });
        if (duration.isNegative() || duration.isZero()) {
            throw new TypeConversionException("'" + text + "' is not a positive duration; allowed e.g. "
                    + ScenarioReader.DURATION_EXAMPLES + " or ISO-8601 such as PT30S");
        }
        return duration;
    }
}
