package dev.virtiofleet.serde;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every schema version this build can read, shipped in the jar under {@code avro-history/}: one
 * standalone {@code .avsc} per released version of each top-level record, listed in {@code
 * avro-history/index.txt}. A reader resolves a writer's fingerprint against these, so old data
 * stays readable after a schema evolves.
 */
public final class ShippedSchemas {
    static final String INDEX = "avro-history/index.txt";

    private ShippedSchemas() {}

    /** All shipped versions, in index order. */
    public static List<Schema> all() {
        List<Schema> schemas = new ArrayList<>();
        for (String path : indexEntries()) {
            schemas.add(parse(path));
        }
        return List.copyOf(schemas);
    }

    /** The shipped versions of one record, oldest first. */
    public static List<Schema> versionsOf(String fullName) {
        return all().stream().filter(s -> s.getFullName().equals(fullName)).toList();
    }

    static List<String> indexEntries() {
        try (InputStream in = resource(INDEX);
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            return reader.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + INDEX, e);
        }
    }

    private static Schema parse(String path) {
        try (InputStream in = resource("avro-history/" + path)) {
            return new Schema.Parser().parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shipped schema avro-history/" + path, e);
        }
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = ShippedSchemas.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IOException("resource " + name + " is missing from the classpath");
        }
        return in;
    }
}
