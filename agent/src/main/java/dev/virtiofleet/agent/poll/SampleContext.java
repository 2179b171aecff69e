package dev.virtiofleet.agent.poll;

import dev.virtiofleet.avro.QemuVersion;
import java.util.Optional;

/** What every sample of one VM in one sweep shares. */
record SampleContext(AgentRun run, VmIdentity identity, QemuVersion qemuVersion, Optional<RunState> runState) {}
