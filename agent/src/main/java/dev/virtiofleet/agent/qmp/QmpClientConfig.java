package dev.virtiofleet.agent.qmp;

import dev.virtiofleet.agent.config.Require;
import java.time.Duration;

/**
 * How the agent talks to one monitor.
 *
 * @param connectTimeout  how long a TCP connect may take ({@code qmp.connect-timeout}, default 2 s)
 * @param handshakeTimeout how long greeting plus {@code qmp_capabilities} may take ({@code
 *     qmp.handshake-timeout}, default 5 s)
 * @param commandDeadline how long one command may wait for its answer ({@code qmp.command-deadline},
 *     default 5 s, kept to within {@value QmpReactor#TICK_MILLIS} ms); a monitor that never answers
 *     costs this, once per command in flight
 * @param maxLineBytes the longest message accepted from a monitor ({@code qmp.max-line-bytes},
 *     default 1 MiB, 4 KiB..64 MiB); a longer line closes the connection. The largest real reply
 *     (x-query-virtio-status of a device with many features) is a few KiB.
 */
public record QmpClientConfig(Duration connectTimeout, Duration handshakeTimeout, Duration commandDeadline,
        int maxLineBytes) {

    public static final int DEFAULT_MAX_LINE_BYTES = 1 << 20;

    public QmpClientConfig {
        Require.positive("qmp.connect-timeout", connectTimeout);
        Require.positive("qmp.handshake-timeout", handshakeTimeout);
        Require.positive("qmp.command-deadline", commandDeadline);
        Require.inRange("qmp.max-line-bytes", maxLineBytes, 4096, 64 << 20);
    }

    public static QmpClientConfig defaults() {
        return new QmpClientConfig(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5),
                DEFAULT_MAX_LINE_BYTES);
    }

    public QmpClientConfig withCommandDeadline(Duration deadline) {
        return new QmpClientConfig(connectTimeout, handshakeTimeout, deadline, maxLineBytes);
    }

    public QmpClientConfig withHandshakeTimeout(Duration timeout) {
        return new QmpClientConfig(connectTimeout, timeout, commandDeadline, maxLineBytes);
    }

    public QmpClientConfig withMaxLineBytes(int bytes) {
        return new QmpClientConfig(connectTimeout, handshakeTimeout, commandDeadline, bytes);
    }
}
