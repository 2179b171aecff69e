package dev.virtiofleet.agent.poll;

import dev.virtiofleet.avro.CommandError;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioInfo;
import dev.virtiofleet.qapi.VirtioQueueElement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** What one sweep read of one device, collected phase by phase and turned into a sample at the end. */
final class DeviceReading {
    private final VirtioInfo device;
    private final Map<Integer, QueueSample.Builder> queues = new TreeMap<>();
    private final List<CommandError> errors = new ArrayList<>();
    private Optional<DecodedStatus> status = Optional.empty();
    private Instant statusReadAt;
    private long firstSentNanos = Long.MAX_VALUE;
    private long lastAnsweredNanos = Long.MIN_VALUE;

    DeviceReading(VirtioInfo device, Instant listedAt) {
        this.device = device;
        this.statusReadAt = listedAt;
    }

    VirtioInfo device() {
        return device;
    }

    String path() {
        return device.path();
    }

    Optional<DecodedStatus> status() {
        return status;
    }

    void timing(long sentNanos, long answeredNanos) {
        firstSentNanos = Math.min(firstSentNanos, sentNanos);
        lastAnsweredNanos = Math.max(lastAnsweredNanos, answeredNanos);
    }

    void status(DecodedStatus value, Instant readAt) {
        status = Optional.of(value);
        statusReadAt = readAt;
    }

    void queueStatus(int queue, VirtQueueStatus value) {
        queue(queue).setStatus(QapiToAvro.queueStatus(value));
    }

    void vhostQueueStatus(int queue, VirtVhostQueueStatus value) {
        queue(queue).setVhostStatus(QapiToAvro.vhostQueueStatus(value));
    }

    void element(int queue, VirtioQueueElement value) {
        queue(queue).setElement(QapiToAvro.queueElement(value));
    }

    /** A queue that was asked about, even if every answer was an error. */
    void queueTouched(int queue) {
        queue(queue);
    }

    void error(CommandError error) {
        errors.add(error);
    }

    private QueueSample.Builder queue(int index) {
        return queues.computeIfAbsent(index, i -> QueueSample.newBuilder().setQueueIndex(i));
    }

    VirtioSample toSample(SampleContext context) {
        long durationMicros = lastAnsweredNanos >= firstSentNanos ? (lastAnsweredNanos - firstSentNanos) / 1000 : 0;
        return VirtioSample.newBuilder()
                .setHostId(context.run().hostId())
                .setAgentRunId(context.run().runId())
                .setAgentSequence(context.run().nextSequence())
                .setEventTime(statusReadAt)
                .setPollDurationMicros(durationMicros)
                .setVmName(context.identity().name().orElse(null))
                .setVmUuid(context.identity().uuid().orElse(null))
                .setQemuVersion(context.qemuVersion())
                .setVmRunState(context.runState().map(RunState::status).orElse(null))
                .setVmRunning(context.runState().map(RunState::running).orElse(null))
                .setDevicePath(device.path())
                .setDeviceName(device.name())
                .setStatus(status.map(DecodedStatus::published).orElse(null))
                .setQueues(queues.values().stream().map(QueueSample.Builder::build).toList())
                .setErrors(List.copyOf(errors))
                .build();
    }
}
