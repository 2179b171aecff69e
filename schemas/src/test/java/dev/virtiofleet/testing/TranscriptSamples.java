package dev.virtiofleet.testing;

import com.fasterxml.jackson.databind.JsonNode;
import dev.virtiofleet.avro.QemuVersion;
import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.mapping.QapiToAvro;
import dev.virtiofleet.qapi.QapiDecodeException;
import dev.virtiofleet.qapi.QapiReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds the Avro sample the agent would publish for one device of a real transcript, and keeps
 * the QMP reply lines it came from (for size comparisons).
 */
public final class TranscriptSamples {
    private static final QapiReader READER = new QapiReader();

    static {
        dev.virtiofleet.serde.TrustedAvroClasses.install();
    }

    private TranscriptSamples() {}

    /** The sample plus the verbatim QMP reply lines that went into it. */
    public record Built(VirtioSample sample, List<String> qmpReplyLines) {}

    public static Built sampleOf(Transcript transcript, String devicePath, boolean withElements) {
        try {
            JsonNode status = null;
            Map<Integer, QueueSample.Builder> queues = new TreeMap<>();
            List<String> replies = new ArrayList<>();
            for (Transcript.Exchange exchange : transcript.exchanges()) {
                if (exchange.isError() || !devicePath.equals(exchange.arguments().path("path").asText())) {
                    continue;
                }
                JsonNode reply = exchange.response().get("return");
                int queue = exchange.arguments().path("queue").asInt(-1);
                switch (exchange.execute()) {
                    case QapiReader.X_QUERY_VIRTIO_STATUS -> status = reply;
                    case QapiReader.X_QUERY_VIRTIO_QUEUE_STATUS ->
                            queue(queues, queue).setStatus(QapiToAvro.queueStatus(READER.queueStatus(reply)));
                    case QapiReader.X_QUERY_VIRTIO_QUEUE_ELEMENT -> {
                        if (!withElements) {
                            continue;
                        }
                        queue(queues, queue).setElement(QapiToAvro.queueElement(READER.queueElement(reply)));
                    }
                    default -> {
                        continue;
                    }
                }
                replies.add(exchange.response().toString());
            }
            if (status == null) {
                throw new IllegalArgumentException(transcript.name() + " has no status for " + devicePath);
            }
            JsonNode version = transcript.greeting().path("QMP").path("version");
            VirtioSample sample = VirtioSample.newBuilder()
                    .setHostId("hv-0001.example")
                    .setAgentRunId("5b0c9a52-5d0e-4c36-9a0e-8a3f2f4c9b11")
                    .setAgentSequence(123456)
                    .setEventTime(Instant.ofEpochSecond(1795566120))
                    .setPollDurationMicros(850)
                    .setVmName("guest-01")
                    .setVmUuid("2f3c8a9e-63f6-4d2b-9a1e-6a0d3c7b5e41")
                    .setQemuVersion(new QemuVersion(
                            version.path("qemu").path("major").asInt(),
                            version.path("qemu").path("minor").asInt(),
                            version.path("qemu").path("micro").asInt(),
                            version.path("package").asText()))
                    .setVmRunState("running")
                    .setVmRunning(true)
                    .setDevicePath(devicePath)
                    .setDeviceName(status.path("name").asText())
                    .setStatus(QapiToAvro.status(READER.virtioStatus(status)))
                    .setQueues(queues.values().stream().map(QueueSample.Builder::build).toList())
                    .build();
            return new Built(sample, List.copyOf(replies));
        } catch (QapiDecodeException e) {
            throw new IllegalStateException("transcript " + transcript.name() + " does not decode: " + e.getMessage(), e);
        }
    }

    private static QueueSample.Builder queue(Map<Integer, QueueSample.Builder> queues, int index) {
        return queues.computeIfAbsent(index, i -> QueueSample.newBuilder().setQueueIndex(i));
    }
}
