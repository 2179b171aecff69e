package dev.virtiofleet.sim.workload;

import java.time.Duration;

/**
 * How many guest-level operations a queue sees over time (requests submitted, packets received,
 * statistics polls). Defined by its running total since the VM started, so the count between two
 * instants is exact and independent of how often the simulator looks: deterministic under a
 * test clock, and without drift.
 */
public sealed interface Traffic {
    /** Operations in the first {@code elapsed} of the VM's life; never decreases. */
    long totalAfter(Duration elapsed);

    /** Operations between two instants of the VM's life. */
    default long between(Duration from, Duration to) {
        return totalAfter(to) - totalAfter(from);
    }

    Traffic IDLE = new Idle();

    static Traffic steady(double perSecond) {
        return new Steady(perSecond);
    }

    /** {@code perSecond} during the first {@code burst} of every {@code period}, silent otherwise. */
    static Traffic bursty(double perSecond, Duration period, Duration burst) {
        return new Bursty(perSecond, period, burst);
    }

    /** Follows a day-like cycle: {@code peakPerSecond} at mid-period, nothing at its start and end. */
    static Traffic diurnal(double peakPerSecond, Duration period) {
        return new Diurnal(peakPerSecond, period);
    }

    record Idle() implements Traffic {
        @Override
        public long totalAfter(Duration elapsed) {
            return 0;
        }
    }

    record Steady(double perSecond) implements Traffic {
        public Steady {
            requireRate("perSecond", perSecond);
        }

        @Override
        public long totalAfter(Duration elapsed) {
            return (long) Math.floor(perSecond * seconds(elapsed));
        }
    }

    record Bursty(double perSecond, Duration period, Duration burst) implements Traffic {
        public Bursty {
            requireRate("perSecond", perSecond);
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("bursty period must be positive, got " + period);
            }
            if (burst.isNegative() || burst.compareTo(period) > 0) {
                throw new IllegalArgumentException("burst must be 0.." + period + ", got " + burst);
            }
        }

        @Override
        public long totalAfter(Duration elapsed) {
            long periodNanos = period.toNanos();
            long elapsedNanos = elapsed.toNanos();
            long fullPeriods = elapsedNanos / periodNanos;
            long intoPeriod = Math.min(elapsedNanos % periodNanos, burst.toNanos());
            double activeSeconds = (fullPeriods * (double) burst.toNanos() + intoPeriod) / 1e9;
            return (long) Math.floor(perSecond * activeSeconds);
        }
    }

    record Diurnal(double peakPerSecond, Duration period) implements Traffic {
        public Diurnal {
            requireRate("peakPerSecond", peakPerSecond);
            if (period.isNegative() || period.isZero()) {
                throw new IllegalArgumentException("diurnal period must be positive, got " + period);
            }
        }

        // Rate (peak/2)(1 - cos(2πt/T)) integrates to (peak/2)(t - T/(2π) sin(2πt/T)).
        @Override
        public long totalAfter(Duration elapsed) {
            double t = seconds(elapsed);
            double p = seconds(period);
            return (long) Math.floor(peakPerSecond / 2 * (t - p / (2 * Math.PI) * Math.sin(2 * Math.PI * t / p)));
        }
    }

    private static double seconds(Duration duration) {
        return duration.toNanos() / 1e9;
    }

    private static void requireRate(String name, double rate) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException(name + " must be a finite rate >= 0 per second, got " + rate);
        }
    }
}
