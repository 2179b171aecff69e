package dev.virtiofleet.agent.publish;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * A bounded, ordered, on-disk queue of records for a broker outage, that survives a restart.
 *
 * <p>Records are appended to numbered segment files ({@code <n>.spool}) as {@code [key length]
 * [value length][crc32c][key][value]}; a record cut short by a crash fails its checksum and ends
 * the segment. {@link #take} hands out records oldest first without forgetting them; {@link
 * #commit} forgets what was taken once it is safely elsewhere, which is recorded in {@code
 * committed} so a restart resumes there. Past {@code maxBytes} the oldest whole segments are
 * dropped and counted, never silently. {@link #prepend} puts records in front of everything
 * (records that were in flight when the agent stopped). Not thread-safe: one owner.
 */
public final class DiskSpool implements AutoCloseable {
    private static final String SUFFIX = ".spool";
    private static final String COMMITTED = "committed";
    private static final int HEADER = 12;

    private final Path dir;
    private final long maxBytes;
    private final long segmentBytes;
    /** Segment number -> its size in bytes. */
    private final TreeMap<Long, Long> segments = new TreeMap<>();
    private FileChannel writer;
    private long writerSegment;
    /** Where the next take reads: segment and offset; the committed position is on disk. */
    private long readSegment;
    private long readOffset;
    private long committedSegment;
    private long committedOffset;
    private long records;
    private long droppedRecords;

    private DiskSpool(Path dir, long maxBytes, long segmentBytes) {
        this.dir = dir;
        this.maxBytes = maxBytes;
        this.segmentBytes = segmentBytes;
    }

    /** Opens (or creates) the spool in {@code dir}, resuming after what was committed. */
    public static DiskSpool open(Path dir, long maxBytes, long segmentBytes) throws IOException {
        Files.createDirectories(dir);
        if (!Files.isWritable(dir)) {
            throw new IOException("spool directory " + dir + " is not writable");
        }
        DiskSpool spool = new DiskSpool(dir, maxBytes, segmentBytes);
        spool.load();
        return spool;
    }

    public synchronized void append(SpooledRecord record) throws IOException {
        if (writer == null || segments.get(writerSegment) >= segmentBytes) {
            roll();
        }
        ByteBuffer buffer = encode(record);
        while (buffer.hasRemaining()) {
            writer.write(buffer);
        }
        segments.merge(writerSegment, (long) HEADER + record.size(), Long::sum);
        records++;
        enforceBound();
    }

    /** Puts records in front of everything spooled, in the given order. */
    public synchronized void prepend(List<SpooledRecord> front) throws IOException {
        if (front.isEmpty()) {
            return;
        }
        long number = segments.isEmpty() ? 1 : segments.firstKey() - 1;
        if (!segments.isEmpty() && readSegment == segments.firstKey() && readOffset > 0) {
            // Part of the first segment was already taken; what was taken stays behind the cursor.
            compactFirstSegment();
            number = segments.firstKey() - 1;
        }
        long size = 0;
        try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (SpooledRecord record : front) {
                ByteBuffer buffer = encode(record);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                size += HEADER + record.size();
            }
            channel.force(true);
        }
        segments.put(number, size);
        records += front.size();
        readSegment = number;
        readOffset = 0;
        writeCommitted(number, 0);
    }

    /** Up to {@code max} records after the last taken one, oldest first; they stay until committed. */
    public synchronized List<SpooledRecord> take(int max) throws IOException {
        List<SpooledRecord> taken = new ArrayList<>();
        while (taken.size() < max) {
            Long size = segments.get(readSegment);
            if (size == null) {
                Long next = segments.higherKey(readSegment);
                if (next == null) {
                    break;
                }
                readSegment = next;
                readOffset = 0;
                continue;
            }
            if (readOffset >= size) {
                Long next = segments.higherKey(readSegment);
                if (next == null) {
                    break;
                }
                readSegment = next;
                readOffset = 0;
                continue;
            }
            try (FileChannel channel = FileChannel.open(segment(readSegment), StandardOpenOption.READ)) {
                channel.position(readOffset);
                DataInputStream in = new DataInputStream(java.nio.channels.Channels.newInputStream(channel));
                while (taken.size() < max && readOffset < size) {
                    SpooledRecord record = decode(in);
                    taken.add(record);
                    readOffset += HEADER + record.size();
                }
            }
        }
        return taken;
    }

    /** Forgets everything taken so far: it has been delivered. */
    public synchronized void commit() throws IOException {
        long forgotten = countBetween(committedSegment, committedOffset, readSegment, readOffset);
        for (Long number : new ArrayList<>(segments.headMap(readSegment).keySet())) {
            deleteSegment(number);
        }
        records -= forgotten;
        writeCommitted(readSegment, readOffset);
        if (readSegment != writerSegment && segments.containsKey(readSegment) && readOffset >= segments.get(readSegment)) {
            deleteSegment(readSegment);
        }
    }

    /** Moves the read cursor back to the committed position (after a failed send of taken records). */
    public synchronized void rewind() {
        readSegment = committedSegment;
        readOffset = committedOffset;
    }

    public synchronized long records() {
        return records;
    }

    public synchronized long bytes() {
        return segments.values().stream().mapToLong(Long::longValue).sum();
    }

    public synchronized boolean isEmpty() {
        return records == 0;
    }

    /** Records dropped because the spool reached its bound, oldest first. */
    public synchronized long droppedRecords() {
        return droppedRecords;
    }

    @Override
    public synchronized void close() throws IOException {
        if (writer != null) {
            writer.force(true);
            writer.close();
            writer = null;
        }
    }

    private void load() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(SUFFIX)).toList()) {
                String name = file.getFileName().toString();
                segments.put(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())), Files.size(file));
            }
        }
        Optional<long[]> committed = readCommitted();
        committedSegment = committed.map(c -> c[0]).orElse(segments.isEmpty() ? 1 : segments.firstKey());
        committedOffset = committed.map(c -> c[1]).orElse(0L);
        for (Long number : new ArrayList<>(segments.headMap(committedSegment).keySet())) {
            deleteSegment(number);
        }
        for (Long number : new ArrayList<>(segments.keySet())) {
            long valid = validLength(number);
            if (valid < segments.get(number)) {
                // A torn tail from a crash: the record never completed, so it was never acknowledged.
                try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.WRITE)) {
                    channel.truncate(valid);
                }
                segments.put(number, valid);
            }
        }
        readSegment = committedSegment;
        readOffset = committedOffset;
        records = countBetween(committedSegment, committedOffset, Long.MAX_VALUE, 0);
        writerSegment = segments.isEmpty() ? committedSegment : segments.lastKey();
    }

    private void roll() throws IOException {
        if (writer != null) {
            writer.force(false);
            writer.close();
        }
        writerSegment = segments.isEmpty() ? Math.max(committedSegment, 1) : segments.lastKey() + 1;
        writer = FileChannel.open(segment(writerSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        segments.putIfAbsent(writerSegment, Files.size(segment(writerSegment)));
    }

    private void enforceBound() throws IOException {
        while (bytes() > maxBytes && segments.size() > 1) {
            long oldest = segments.firstKey();
            long dropped = countBetween(oldest, oldest == committedSegment ? committedOffset : 0, oldest + 1, 0);
            if (oldest == readSegment) {
                readSegment = segments.higherKey(oldest);
                readOffset = 0;
            }
            deleteSegment(oldest);
            droppedRecords += dropped;
            records -= dropped;
            committedSegment = segments.firstKey();
            committedOffset = 0;
            writeCommitted(committedSegment, 0);
        }
    }

    private void compactFirstSegment() throws IOException {
        long first = segments.firstKey();
        Path source = segment(first);
        byte[] rest;
        try (FileChannel channel = FileChannel.open(source, StandardOpenOption.READ)) {
            channel.position(readOffset);
            rest = java.nio.channels.Channels.newInputStream(channel).readAllBytes();
        }
        if (first == writerSegment && writer != null) {
            writer.close();
            writer = null;
        }
        Files.write(source, rest);
        segments.put(first, (long) rest.length);
        readOffset = 0;
        writeCommitted(first, 0);
    }

    private long countBetween(long fromSegment, long fromOffset, long toSegment, long toOffset) throws IOException {
        long count = 0;
        for (var entry : segments.subMap(fromSegment, true, toSegment, true).entrySet()) {
            long start = entry.getKey() == fromSegment ? fromOffset : 0;
            long end = entry.getKey() == toSegment ? toOffset : entry.getValue();
            count += countRecords(entry.getKey(), start, end);
        }
        return count;
    }

    private long countRecords(long number, long start, long end) throws IOException {
        long count = 0;
        try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.READ)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER);
            long position = start;
            while (position + HEADER <= end) {
                header.clear();
                channel.read(header, position);
                header.flip();
                position += HEADER + header.getInt() + header.getInt();
                count++;
            }
        }
        return count;
    }

    private long validLength(long number) throws IOException {
        long valid = 0;
        try (FileChannel channel = FileChannel.open(segment(number), StandardOpenOption.READ);
                DataInputStream in = new DataInputStream(java.nio.channels.Channels.newInputStream(channel))) {
            while (true) {
                SpooledRecord record = decode(in);
                valid += HEADER + record.size();
            }
        } catch (EOFException | CorruptRecordException e) {
            return valid;
        }
    }

    private static ByteBuffer encode(SpooledRecord record) {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER + record.size());
        buffer.putInt(record.key().length).putInt(record.value().length).putInt(checksum(record));
        buffer.put(record.key()).put(record.value()).flip();
        return buffer;
    }

    private static SpooledRecord decode(DataInputStream in) throws IOException {
        int keyLength = in.readInt();
        int valueLength = in.readInt();
        int crc = in.readInt();
        if (keyLength < 0 || valueLength < 0 || keyLength + (long) valueLength > Integer.MAX_VALUE / 2) {
            throw new CorruptRecordException();
        }
        byte[] key = in.readNBytes(keyLength);
        byte[] value = in.readNBytes(valueLength);
        if (key.length != keyLength || value.length != valueLength) {
            throw new EOFException();
        }
        SpooledRecord record = new SpooledRecord(key, value);
        if (checksum(record) != crc) {
            throw new CorruptRecordException();
        }
        return record;
    }

    private static int checksum(SpooledRecord record) {
        CRC32C crc = new CRC32C();
        crc.update(record.key());
        crc.update(record.value());
        return (int) crc.getValue();
    }

    private Path segment(long number) {
        return dir.resolve(number + SUFFIX);
    }

    private void deleteSegment(long number) throws IOException {
        if (number == writerSegment && writer != null) {
            writer.close();
            writer = null;
        }
        Files.deleteIfExists(segment(number));
        segments.remove(number);
    }

    private Optional<long[]> readCommitted() throws IOException {
        Path file = dir.resolve(COMMITTED);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String[] parts = Files.readString(file).strip().split(" ");
        return Optional.of(new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[1])});
    }

    private void writeCommitted(long segment, long offset) throws IOException {
        committedSegment = segment;
        committedOffset = offset;
        Path temp = dir.resolve(COMMITTED + ".tmp");
        Files.writeString(temp, segment + " " + offset + "\n");
        Files.move(temp, dir.resolve(COMMITTED), java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** A record whose checksum or lengths do not hold: the torn end of a segment. */
    private static final class CorruptRecordException extends IOException {
        CorruptRecordException() {
            super("corrupt spool record");
        }
    }
}
