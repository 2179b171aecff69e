package dev.virtiofleet.serde;

import dev.virtiofleet.avro.AgentHeartbeat;
import dev.virtiofleet.avro.DeviceHealth;
import dev.virtiofleet.avro.VirtioAlert;
import dev.virtiofleet.avro.VirtioSample;

/** The serdes of the four topics' values, sharing one wire format. */
public final class FleetSerdes {
    static {
        TrustedAvroClasses.install();
    }

    private final AvroWireFormat wireFormat;

    public FleetSerdes(AvroWireFormat wireFormat) {
        this.wireFormat = wireFormat;
    }

    /** Registry-free default: Avro single-object encoding with the schemas shipped in this jar. */
    public static FleetSerdes singleObject() {
        return new FleetSerdes(new SingleObjectWireFormat());
    }

    public AvroSerde<VirtioSample> sample() {
        return new AvroSerde<>(VirtioSample.class, wireFormat);
    }

    public AvroSerde<AgentHeartbeat> heartbeat() {
        return new AvroSerde<>(AgentHeartbeat.class, wireFormat);
    }

    public AvroSerde<VirtioAlert> alert() {
        return new AvroSerde<>(VirtioAlert.class, wireFormat);
    }

    public AvroSerde<DeviceHealth> health() {
        return new AvroSerde<>(DeviceHealth.class, wireFormat);
    }
}
