package dev.virtiofleet.serde;

import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Avro 1.12 refuses to instantiate classes it loads by schema name unless they are trusted (a
 * guard against deserialisation gadgets). Our generated records are the only ones we add to the
 * JVM-wide default: those of this module and of other modules' reader schemas in subpackages (the
 * streams application's {@code dev.virtiofleet.avro.detection}); every entry point into the Avro
 * records (serdes, mapping) installs this first.
 */
public final class TrustedAvroClasses {
    public static final String GENERATED_PACKAGE = "dev.virtiofleet.avro";

    private static final ClassSecurityPredicate GENERATED =
            type -> GENERATED_PACKAGE.equals(type.getPackageName()) || type.getPackageName().startsWith(GENERATED_PACKAGE + ".");

    private TrustedAvroClasses() {}

    public static synchronized void install() {
        ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        if (!current.isTrusted(dev.virtiofleet.avro.VirtioSample.class)) {
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current, GENERATED));
        }
    }
}
