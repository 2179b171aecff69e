package dev.virtiofleet.sim.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;

/**
 * A command's arguments after QEMU's QAPI input visitor checked them against the declared
 * parameters, with the visitor's error texts: members visited in declaration order, then
 * anything left over is unexpected.
 */
public final class Arguments {
    private static final BigInteger UINT64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger UINT16_MAX = BigInteger.valueOf(0xFFFF);
    private static final BigInteger INT64_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private final ObjectNode values;

    private Arguments(ObjectNode values) {
        this.values = values;
    }

    /** Checks {@code given} (an object, possibly empty) against {@code declared}. */
    public static sealed interface Checked {}

    public record Valid(Arguments arguments) implements Checked {}

    public record Invalid(QmpError error) implements Checked {}

    public static Checked check(ObjectNode given, List<Parameter> declared) {
        for (Parameter parameter : declared) {
            JsonNode value = given.get(parameter.name());
            if (value == null) {
                if (parameter.required()) {
                    return new Invalid(QmpError.generic("Parameter '" + parameter.name() + "' is missing"));
                }
                continue;
            }
            Optional<QmpError> problem = typeProblem(parameter, value);
            if (problem.isPresent()) {
                return new Invalid(problem.get());
            }
        }
        Iterator<String> names = given.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (declared.stream().noneMatch(p -> p.name().equals(name))) {
                return new Invalid(QmpError.generic("Parameter '" + name + "' is unexpected"));
            }
        }
        return new Valid(new Arguments(given));
    }

    public static Arguments none() {
        return new Arguments(JsonNodeFactory.instance.objectNode());
    }

    public String string(String name) {
        return values.get(name).textValue();
    }

    public int uint16(String name) {
        return optionalUint16(name).orElseThrow();
    }

    public Optional<Integer> optionalUint16(String name) {
        return Optional.ofNullable(values.get(name)).map(JsonNode::intValue);
    }

    public List<String> strings(String name) {
        JsonNode list = values.get(name);
        return list == null ? List.of() : list.valueStream().map(JsonNode::textValue).toList();
    }

    private static Optional<QmpError> typeProblem(Parameter parameter, JsonNode value) {
        String name = parameter.name();
        return switch (parameter.type()) {
            case STRING -> value.isTextual() ? Optional.empty() : Optional.of(wrongType(name, "string"));
            case UINT16 -> uint16Problem(name, value);
            case STRING_LIST -> {
                if (!value.isArray()) {
                    yield Optional.of(wrongType(name, "array"));
                }
                for (int i = 0; i < value.size(); i++) {
                    if (!value.get(i).isTextual()) {
                        yield Optional.of(wrongType(name + "[" + i + "]", "string"));
                    }
                }
                yield Optional.empty();
            }
        };
    }

    private static Optional<QmpError> uint16Problem(String name, JsonNode value) {
        if (!value.isIntegralNumber()) {
            return Optional.of(wrongType(name, "integer"));
        }
        BigInteger number = value.bigIntegerValue();
        if (number.compareTo(UINT64_MAX) > 0 || number.compareTo(INT64_MIN) < 0) {
            return Optional.of(QmpError.generic("Parameter '" + name + "' expects uint64"));
        }
        // QEMU reads negative numbers as their uint64 bits, which no uint16 holds.
        if (number.signum() < 0 || number.compareTo(UINT16_MAX) > 0) {
            return Optional.of(QmpError.generic("Parameter '" + name + "' expects uint16_t"));
        }
        return Optional.empty();
    }

    private static QmpError wrongType(String name, String expected) {
        return QmpError.generic("Invalid parameter type for '" + name + "', expected: " + expected);
    }
}
