package dev.virtiofleet.streams.testing;

import dev.virtiofleet.streams.app.DetectionApplication;
import dev.virtiofleet.streams.app.StreamsAppConfig;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The detection application as its own process, for tests that kill it without warning.
 * Arguments: bootstrap servers, state directory, instance id, topic prefix.
 */
public final class DetectionMain {
    private DetectionMain() {}

    public static void main(String[] args) throws InterruptedException {
        String prefix = args[3];
        var application = new DetectionApplication(StreamsAppConfig.fromProperties(Map.of(
                "bootstrap-servers", args[0], "application-id", "virtio-fleet-crash-test", "state-dir", args[1], "instance-id", args[2],
                "rest.listen", "127.0.0.1:0",
                "topics.samples", prefix + "virtio.samples", "topics.heartbeats", prefix + "virtio.heartbeats",
                "topics.alerts", prefix + "virtio.alerts", "topics.health", prefix + "virtio.health",
                "topics.dead-letters", prefix + "virtio.samples.dlq")));
        application.start();
        System.out.println("detection started");
        new CountDownLatch(1).await();
    }
}
