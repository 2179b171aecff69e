package dev.virtiofleet.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VersionCommandTest {

    @Test
    void printsTheBuildVersion() {
        CommandRun run = CommandRun.of("version");
        assertEquals(0, run.exitCode());
        assertTrue(run.out().startsWith("virtio-fleet 0.1.0-SNAPSHOT"), run.out());
    }

    @Test
    void unknownSubcommandIsAUsageError() {
        CommandRun run = CommandRun.of("frobnicate");
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("frobnicate"), run.err());
    }
}
