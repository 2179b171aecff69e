package dev.virtiofleet.agent.poll;

import dev.virtiofleet.avro.VirtioSample;
import java.util.List;

/** What one sweep of one VM produced, and whether the monitor behaved. */
public sealed interface SweepOutcome {

    /** One sample per device read in this sweep (partial sweeps keep what they got). */
    List<VirtioSample> samples();

    /** Every phase was answered; errors inside are per-command data. */
    record Completed(List<VirtioSample> samples) implements SweepOutcome {
        public Completed {
            samples = List.copyOf(samples);
        }
    }

    /** The monitor let a command's deadline pass; the sweep stopped there. */
    record TimedOut(List<VirtioSample> samples, String detail) implements SweepOutcome {
        public TimedOut {
            samples = List.copyOf(samples);
        }
    }

    /** The connection ended during (or before) the sweep. */
    record Disconnected(List<VirtioSample> samples, String reason) implements SweepOutcome {
        public Disconnected {
            samples = List.copyOf(samples);
        }
    }

    /** This monitor cannot be polled (e.g. QEMU older than 7.2 lacks x-query-virtio*). */
    record Unpollable(String reason) implements SweepOutcome {
        @Override
        public List<VirtioSample> samples() {
            return List.of();
        }
    }
}
