package dev.virtiofleet.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * This process's CPU time split by what its native threads do, read from {@code /proc/self/task}:
 * the JIT compilers and the garbage collector run beside the agent's own threads, and in a run of
 * a minute they can take a third of the process CPU that a long-running agent no longer pays.
 * Linux only; elsewhere the split is empty.
 */
final class ThreadGroupCpu {
    private static final double CLOCK_TICKS_PER_SECOND = 100;

    private ThreadGroupCpu() {}

    /** CPU seconds per group of threads since each thread started. */
    static Map<String, Double> now() {
        Map<String, Double> seconds = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = Files.readString(task.resolve("comm")).strip();
                    // Fields after the parenthesised name: utime and stime are the 12th and 13th.
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double cpu = (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS_PER_SECOND;
                    seconds.merge(group(name), cpu, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // The thread ended between the listing and the read: its time is gone either way.
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return seconds;
    }

    /** The CPU seconds of each group between two readings of {@link #now}. */
    static Map<String, Double> between(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> spent = new LinkedHashMap<>();
        after.forEach((group, seconds) -> spent.put(group, seconds - before.getOrDefault(group, 0.0)));
        return spent;
    }

    private static String group(String threadName) {
        if (threadName.startsWith("C1 Compiler") || threadName.startsWith("C2 Compiler")) {
            return "JIT compiler";
        }
        if (threadName.startsWith("GC Thread") || threadName.startsWith("G1 ")) {
            return "garbage collector";
        }
        if (threadName.startsWith("ForkJoinPool-") || threadName.equals("MasterPoller") || threadName.startsWith("Read-Poller")
                || threadName.startsWith("Write-Poller") || threadName.startsWith("VirtualThread")) {
            return "virtual threads (polling)";
        }
        if (threadName.equals("qmp-io")) {
            return "QMP reactor (reads, replies, deadlines)";
        }
        if (threadName.startsWith("kafka-producer")) {
            return "Kafka producer I/O";
        }
        if (threadName.startsWith("sample-publishe")) {
            return "sample publisher";
        }
        return "other";
    }
}
