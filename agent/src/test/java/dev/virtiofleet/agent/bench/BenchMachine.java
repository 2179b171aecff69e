package dev.virtiofleet.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the benchmarks print about the machine they ran on: it is shared, so figures are noisy. */
final class BenchMachine {
    private BenchMachine() {}

    /** The 1, 5 and 15 minute load averages, and the cores. */
    static String load() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split("\\s+");
            return "load average " + fields[0] + " " + fields[1] + " " + fields[2] + " on "
                    + Runtime.getRuntime().availableProcessors() + " cores";
        } catch (IOException e) {
            return "load average unknown (" + e.getMessage() + ")";
        }
    }
}
