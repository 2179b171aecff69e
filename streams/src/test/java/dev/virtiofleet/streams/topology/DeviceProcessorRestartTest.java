package dev.virtiofleet.streams.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.virtiofleet.avro.VirtioSample;
import dev.virtiofleet.streams.config.DetectionConfig;
import dev.virtiofleet.streams.detect.DeviceMonitor;
import dev.virtiofleet.streams.detect.DeviceState;
import dev.virtiofleet.streams.health.HealthPublisher;
import dev.virtiofleet.streams.testing.Samples;
import dev.virtiofleet.topics.DeviceKey;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The device processor reads a device's prior state as the store holds it, also when the store
 * changed while its task was down (restored from the changelog, wiped after a failed transaction):
 * the states it keeps decoded must not outlive a restart of the task.
 */
class DeviceProcessorRestartTest {
    private final MockProcessorContext<String, DetectorOutput> context = new MockProcessorContext<>();
    private final KeyValueStore<String, DeviceState> store = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(DetectionTopology.DEVICE_STORE), Serdes.String(), DeviceStateSerde.create())
            .withLoggingDisabled().build();
    private final DeviceProcessor processor = new DeviceProcessor(new DeviceMonitor(DetectionConfig.defaults()), Duration.ofMinutes(5),
            new HealthPublisher(Duration.ofMinutes(1)));
    private final List<VirtioSample> polls = Samples.repeated(Samples.of(Samples.RUNNING, Samples.BLK, false), 0, 3);
    private final String key = DeviceKey.of(polls.getFirst()).asString();

    DeviceProcessorRestartTest() {
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    @Test
    void aDeviceIsJudgedByWhatTheStoreHoldsAfterTheTaskRestarts() {
        processor.init(context);
        process(polls.get(0));
        assertEquals(1, healthRecords(), "the first sample publishes the device's health");
        process(polls.get(1));
        assertEquals(0, healthRecords(), "an unchanged device within the refresh interval publishes nothing");

        // The task stops; meanwhile its store loses the device (as a restore from an older changelog could).
        processor.close();
        store.delete(key);
        processor.init(context);
        process(polls.get(2));
        assertEquals(1, healthRecords(), "with nothing stored, the device is new again and its health published");
    }

    private void process(VirtioSample sample) {
        context.resetForwards();
        processor.process(new Record<>(key, Samples.detected(sample), sample.getEventTime().toEpochMilli()));
    }

    private long healthRecords() {
        return context.forwarded().stream().filter(forward -> forward.record().value() instanceof DetectorOutput.Health).count();
    }
}
