package dev.virtiofleet.launcher.demo;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoLockTest {

    @TempDir
    Path dir;

    @Test
    void aSecondDemoIsToldWhoRunsTheFirst() throws Exception {
        Path file = dir.resolve("demo.lock");
        try (DemoLock first = DemoLock.acquire(file)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DemoLock.acquire(file));
            assertTrue(e.getMessage().contains("another virtio-fleet demo is running (pid " + ProcessHandle.current().pid() + ")"),
                    e.getMessage());
        }
        try (DemoLock again = DemoLock.acquire(file)) {
            assertTrue(again != null, "free again once the first demo ends");
        }
    }
}
