package dev.virtiofleet.serde;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.Zstd;
import dev.virtiofleet.testing.Transcript;
import dev.virtiofleet.testing.TranscriptSamples;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a real sample costs on the wire: the running guest's virtio-net (3 queues) and virtio-blk
 * (1 queue), as Avro single-object records versus the QMP JSON replies they were made from, raw
 * and zstd-compressed. Prints the figures; asserts only that Avro is the smaller.
 */
class SampleSizeTest {
    private static final Transcript RUNNING = Transcript.named("qemu-7.2-linux-6.1-guest-running.txt");
    private static final List<String> DEVICES = List.of(
            "/machine/peripheral/net0/virtio-backend", "/machine/peripheral/blk0/virtio-backend");

    @Test
    void avroSampleIsSmallerThanTheQmpJsonItCameFrom() {
        AvroSerde<dev.virtiofleet.avro.VirtioSample> serde = FleetSerdes.singleObject().sample();
        for (boolean withElements : new boolean[] {false, true}) {
            int avro = 0;
            int json = 0;
            List<byte[]> avroRecords = new ArrayList<>();
            StringBuilder jsonText = new StringBuilder();
            for (String device : DEVICES) {
                TranscriptSamples.Built built = TranscriptSamples.sampleOf(RUNNING, device, withElements);
                byte[] bytes = serde.serializer().serialize("virtio.samples", built.sample());
                avroRecords.add(bytes);
                avro += bytes.length;
                for (String line : built.qmpReplyLines()) {
                    json += line.getBytes(StandardCharsets.UTF_8).length + 1;
                    jsonText.append(line).append('\n');
                }
            }
            int avroZstd = avroRecords.stream().mapToInt(b -> Zstd.compress(b, 3).length).sum();
            int jsonZstd = jsonText.toString().lines().mapToInt(l -> Zstd.compress(l.getBytes(StandardCharsets.UTF_8), 3).length).sum();
            System.out.printf("sample size, net(3 queues)+blk(1 queue)%s: Avro %d B (zstd %d B per record), QMP JSON %d B (zstd %d B per reply); ratio %.2f%n",
                    withElements ? " with queue elements" : "", avro, avroZstd, json, jsonZstd, (double) avro / json);
            assertTrue(avro < json / 2, "Avro " + avro + " B should be well under the JSON's " + json + " B");
        }
    }
}
