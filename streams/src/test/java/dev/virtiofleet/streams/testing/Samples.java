package dev.virtiofleet.streams.testing;

import dev.virtiofleet.avro.QueueSample;
import dev.virtiofleet.avro.VirtQueueStatus;
import dev.virtiofleet.avro.VirtioDeviceStatus;
import dev.virtiofleet.avro.VirtioQueueElement;
import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.avro.VirtioStatus;
import dev.virtiofleet.avro.detection.DetectedSample;
import dev.virtiofleet.serde.FleetSerdes;
import dev.virtiofleet.streams.observe.DetectedSampleDeserializer;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Samples derived from the real QEMU 7.2 transcripts, and edits of them that inject faults. */
public final class Samples {
    public static final Transcript RUNNING = Transcript.named("qemu-7.2-linux-6.1-guest-running.txt");
    public static final Transcript HUNG = Transcript.named("qemu-7.2-virtio-blk-backend-hung.txt");
    public static final Transcript MRG_RXBUF_OFF = Transcript.named("qemu-7.2-virtio-net-mrg_rxbuf-off.txt");
    public static final Instant T0 = Instant.parse("2026-11-25T10:00:00Z");
    public static final Duration POLL = Duration.ofSeconds(10);

    public static final String BLK = "/machine/peripheral/blk0/virtio-backend";
    public static final String NET = "/machine/peripheral/net0/virtio-backend";
    public static final List<String> RUNNING_DEVICES = List.of(
            "/machine/peripheral/scsi0/virtio-backend", "/machine/peripheral/kbd0/virtio-backend",
            "/machine/peripheral/bal0/virtio-backend", "/machine/peripheral/ser0/virtio-backend",
            "/machine/peripheral/rng0/virtio-backend", BLK, NET);

    private Samples() {}

    public static VirtioSample of(Transcript transcript, String devicePath, boolean withElements) {
        return TranscriptSamples.sampleOf(transcript, devicePath, withElements).sample();
    }

    /** {@code sample} as the application reads it off virtio.samples: encoded as agents write it, decoded with detection's reader schema. */
    public static DetectedSample detected(VirtioSample sample) {
        return new DetectedSampleDeserializer().deserialize("virtio.samples", FleetSerdes.singleObject().sample().serializer()
                .serialize("virtio.samples", sample));
    }

    /** The same sample as the n-th poll: event time T0 + n polls, sequence n. */
    public static VirtioSample poll(VirtioSample sample, int n) {
        return at(sample, T0.plus(POLL.multipliedBy(n)), n);
    }

    public static VirtioSample at(VirtioSample sample, Instant time, long sequence) {
        return VirtioSample.newBuilder(sample).setEventTime(time).setAgentSequence(sequence).build();
    }

    /** {@code count} polls of the same sample, one poll interval apart. */
    public static List<VirtioSample> repeated(VirtioSample sample, int firstPoll, int count) {
        List<VirtioSample> polls = new ArrayList<>();
        for (int n = firstPoll; n < firstPoll + count; n++) {
            polls.add(poll(sample, n));
        }
        return polls;
    }

    public static VirtioSample editQueue(VirtioSample sample, int index, UnaryOperator<VirtQueueStatus.Builder> edit) {
        VirtioSample.Builder builder = VirtioSample.newBuilder(sample);
        List<QueueSample> queues = new ArrayList<>();
        for (QueueSample queue : sample.getQueues()) {
            if (queue.getQueueIndex() == index) {
                queue = QueueSample.newBuilder(queue).setStatus(edit.apply(VirtQueueStatus.newBuilder(queue.getStatus())).build()).build();
            }
            queues.add(queue);
        }
        return builder.setQueues(queues).build();
    }

    /** Sets the queue's indices: used-idx, last-avail-idx = shadow-avail-idx, inuse. */
    public static VirtioSample ring(VirtioSample sample, int index, int used, int lastAvail, int shadowAvail, long inuse) {
        return editQueue(sample, index, q -> q.setUsedIdx(used).setSignalledUsed(used).setLastAvailIdx(lastAvail)
                .setShadowAvailIdx(shadowAvail).setInuse(inuse));
    }

    public static VirtioSample editElement(VirtioSample sample, int index, UnaryOperator<VirtioQueueElement.Builder> edit) {
        VirtioSample.Builder builder = VirtioSample.newBuilder(sample);
        List<QueueSample> queues = new ArrayList<>();
        for (QueueSample queue : sample.getQueues()) {
            if (queue.getQueueIndex() == index) {
                queue = QueueSample.newBuilder(queue).setElement(edit.apply(VirtioQueueElement.newBuilder(queue.getElement())).build()).build();
            }
            queues.add(queue);
        }
        return builder.setQueues(queues).build();
    }

    public static VirtioSample editStatus(VirtioSample sample, UnaryOperator<VirtioStatus.Builder> edit) {
        return VirtioSample.newBuilder(sample).setStatus(edit.apply(VirtioStatus.newBuilder(sample.getStatus())).build()).build();
    }

    public static VirtioSample paused(VirtioSample sample) {
        VirtioSample edited = editStatus(sample, s -> s.setVmRunning(false));
        return VirtioSample.newBuilder(edited).setVmRunState("paused").setVmRunning(false).build();
    }

    public static VirtioSample statuses(VirtioSample sample, String... symbols) {
        return editStatus(sample, s -> s.setStatus(VirtioDeviceStatus.newBuilder(s.getStatus())
                .setStatuses(List.of(symbols)).build()));
    }

    public static final String[] DRIVER_OK_STATUSES = {"VIRTIO_CONFIG_S_ACKNOWLEDGE", "VIRTIO_CONFIG_S_DRIVER",
            "VIRTIO_CONFIG_S_FEATURES_OK", "VIRTIO_CONFIG_S_DRIVER_OK"};
}
