package dev.virtiofleet.agent.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskSpoolTest {
    private static final long SEGMENT = 4096;

    @TempDir
    Path dir;

    @Test
    void recordsComeBackInOrderAndCommittedOnesAreForgotten() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 0, 100);
            assertEquals(100, spool.records());
            assertEquals(values(0, 30), texts(spool.take(30)));
            spool.commit();
            assertEquals(70, spool.records());
            assertEquals(values(30, 100), texts(spool.take(1000)));
            spool.commit();
            assertTrue(spool.isEmpty());
        }
    }

    @Test
    void aRestartResumesAfterWhatWasCommitted() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 0, 200);
            spool.take(50);
            spool.commit();
            spool.take(20); // taken, never committed: must come again
        }
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            assertEquals(150, spool.records());
            append(spool, 200, 210);
            assertEquals(values(50, 210), texts(spool.take(1000)));
        }
    }

    @Test
    void rewindGivesBackWhatWasTakenButNotCommitted() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 0, 10);
            spool.take(5);
            spool.rewind();
            assertEquals(values(0, 10), texts(spool.take(100)));
        }
    }

    @Test
    void aTornLastRecordFromACrashIsIgnored() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, 1 << 20)) {
            append(spool, 0, 5);
        }
        Path segment;
        try (Stream<Path> files = Files.list(dir)) {
            segment = files.filter(f -> f.toString().endsWith(".spool")).findFirst().orElseThrow();
        }
        Files.write(segment, new byte[] {0, 0, 0, 3, 0, 0, 0, 9, 1, 2}, StandardOpenOption.APPEND);
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, 1 << 20)) {
            assertEquals(5, spool.records());
            append(spool, 5, 7);
            assertEquals(values(0, 7), texts(spool.take(100)));
        }
    }

    @Test
    void pastTheBoundTheOldestAreDroppedAndCounted() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 3 * SEGMENT, SEGMENT)) {
            append(spool, 0, 2000);
            assertTrue(spool.bytes() <= 3 * SEGMENT + SEGMENT, "bound holds: " + spool.bytes());
            assertEquals(2000, spool.records() + spool.droppedRecords());
            List<String> left = texts(spool.take(10_000));
            assertEquals(spool.records(), left.size());
            assertEquals("value-1999", left.getLast(), "the newest survive");
            assertEquals("value-" + spool.droppedRecords(), left.getFirst(), "exactly the oldest went");
        }
    }

    @Test
    void prependedRecordsComeFirstAfterARestart() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 10, 20);
            spool.take(3);
            spool.commit();
            spool.prepend(IntStream.range(0, 10).mapToObj(DiskSpoolTest::record).toList());
        }
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            assertEquals(17, spool.records());
            List<String> expected = new java.util.ArrayList<>(values(0, 10));
            expected.addAll(values(13, 20));
            assertEquals(expected, texts(spool.take(100)));
        }
    }

    @Test
    void prependBeforeAnythingWasTakenKeepsEveryRecord() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 50, 60);
            spool.prepend(IntStream.range(0, 50).mapToObj(DiskSpoolTest::record).toList());
        }
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            assertEquals(60, spool.records());
            assertEquals(values(0, 60), texts(spool.take(1000)));
        }
    }

    @Test
    void prependIntoAnEmptySpool() throws IOException {
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            spool.prepend(IntStream.range(0, 50).mapToObj(DiskSpoolTest::record).toList());
        }
        try (DiskSpool spool = DiskSpool.open(dir, 1 << 20, SEGMENT)) {
            append(spool, 50, 60);
            assertEquals(values(0, 30), texts(spool.take(30)));
            spool.commit();
            assertEquals(values(30, 60), texts(spool.take(1000)));
            spool.commit();
            assertTrue(spool.isEmpty());
        }
    }

    private static void append(DiskSpool spool, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            spool.append(record(i));
        }
    }

    private static SpooledRecord record(int i) {
        return new SpooledRecord(("key-" + (i % 7)).getBytes(StandardCharsets.UTF_8), ("value-" + i).getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> values(int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> "value-" + i).toList();
    }

    private static List<String> texts(List<SpooledRecord> records) {
        return records.stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }
}
