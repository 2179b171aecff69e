package dev.virtiofleet.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** Every record, enum and field on our topics says what it means. */
class SchemaDocumentationTest {

    @Test
    void everyNamedTypeAndFieldHasADoc() {
        List<String> undocumented = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        ShippedSchemas.all().forEach(schema -> collect(schema, seen, undocumented));
        assertEquals(List.of(), undocumented);
    }

    @Test
    void checkNoticesAMissingDoc() {
        Schema bare = Schema.createRecord("Bare", null, "x", false,
                List.of(new Schema.Field("f", Schema.create(Schema.Type.INT), null, (Object) null)));
        List<String> undocumented = new ArrayList<>();
        collect(bare, new HashSet<>(), undocumented);
        assertEquals(List.of("x.Bare", "x.Bare.f"), undocumented);
    }

    private static void collect(Schema schema, Set<String> seen, List<String> undocumented) {
        switch (schema.getType()) {
            case RECORD -> {
                if (seen.add(schema.getFullName())) {
                    requireDoc(schema.getFullName(), schema.getDoc(), undocumented);
                    for (Schema.Field field : schema.getFields()) {
                        requireDoc(schema.getFullName() + "." + field.name(), field.doc(), undocumented);
                        collect(field.schema(), seen, undocumented);
                    }
                }
            }
            case ENUM -> {
                if (seen.add(schema.getFullName())) {
                    requireDoc(schema.getFullName(), schema.getDoc(), undocumented);
                }
            }
            case UNION -> schema.getTypes().forEach(t -> collect(t, seen, undocumented));
            case ARRAY -> collect(schema.getElementType(), seen, undocumented);
            case MAP -> collect(schema.getValueType(), seen, undocumented);
            default -> { }
        }
    }

    private static void requireDoc(String what, String doc, List<String> undocumented) {
        if (doc == null || doc.isBlank()) {
            undocumented.add(what);
        }
    }
}
