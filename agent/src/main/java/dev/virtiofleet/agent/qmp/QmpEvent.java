package dev.virtiofleet.agent.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * An asynchronous QMP event (STOP, RESUME, SHUTDOWN, DEVICE_DELETED, ...). {@code timestamp} is
 * QEMU's own; {@code data} is the event's {@code data} member, an empty object when it has none.
 */
public record QmpEvent(String name, Instant timestamp, JsonNode data) {}
