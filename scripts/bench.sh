#!/usr/bin/env bash
# Runs one of the project's benchmarks (main() classes in test scope): scripts/bench.sh NAME [ARGS...].
# Without a name, lists them. Builds the module's test classpath with ./mvnw (offline when the local
# repository has everything, else online), never installs anything, then runs the class in the
# module's folder with its temporary files under the module's target/.
#   BENCH_JAVA_OPTS  extra JVM options (e.g. -Xmx2g)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# name|module|class|what it measures (default arguments)
BENCHMARKS=(
  "streams-throughput|streams|dev.virtiofleet.streams.bench.StreamsThroughputBench|samples/s through the detection topology vs a consume+decode floor [devices=10000 polls=6 rounds=2 key=value...: app settings]"
  "detection-latency|streams|dev.virtiofleet.streams.bench.DetectionLatencyBench|first stalled sample to FIRING on virtio.alerts, p50/p99 vs ideal [devices=2000 stalls=100 poll=1s threshold=5s]"
  "state-size|streams|dev.virtiofleet.streams.bench.StateSizeBench|device store bytes per device and for 60,000 queues [queues=60000 polls=3]"
  "sweep-cost|agent|dev.virtiofleet.agent.bench.SweepCostBenchmark|agent QMP sweep of a real paused QEMU vs a raw pipelined client; needs qemu-system-x86_64 [rounds=5 sweeps=200]"
  "host-scale|agent|dev.virtiofleet.agent.bench.HostScaleBenchmark|the whole agent on N simulated VMs vs a raw client: CPU % of one core, heap; use BENCH_JAVA_OPTS='-XX:+UseSerialGC -Xmx256m' as the unit [vms=500 cycles=6 interval-s=10 census-every=6 warm-up-sweeps=2 sides=both|agent]"
  "adaptive-polling|agent|dev.virtiofleet.agent.bench.AdaptivePollingBenchmark|commands and monitor time per sweep, census-every 1 vs adaptive, real QEMU and the simulator [census-every=6 periods=2 interval-ms=1000]"
  "poll-cycle|virtio-sim|dev.virtiofleet.sim.bench.PollCycleBench|simulated VMs answering a 10 s poll cycle: cycle time, CPU, heap [vms=10000 clients=8 cycles=4]"
  "direct-kafka|virtio-sim|dev.virtiofleet.sim.bench.DirectKafkaBench|sim direct-to-Kafka samples/s vs a raw pre-serialized producer [vms=1000 rounds=60 threads=2 pairs=6]"
)

usage() {
  echo "usage: scripts/bench.sh NAME [ARGS...]   (BENCH_JAVA_OPTS for extra JVM options)"
  echo "benchmarks:"
  for entry in "${BENCHMARKS[@]}"; do
    IFS='|' read -r name module class what <<<"$entry"
    printf '  %-19s %-11s %s\n' "$name" "$module" "$what"
  done
}

if [ $# -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  usage
  exit 0
fi

name="$1"
shift
module="" class=""
for entry in "${BENCHMARKS[@]}"; do
  IFS='|' read -r n m c _ <<<"$entry"
  if [ "$n" = "$name" ]; then module="$m" class="$c"; fi
done
if [ -z "$module" ]; then
  echo "scripts/bench.sh: no benchmark named '$name'" >&2
  usage >&2
  exit 2
fi

# shellcheck source=scripts/jdk.sh
. "$root/scripts/jdk.sh"
require_jdk21
java_opts=(--enable-native-access=ALL-UNNAMED)
if [ "$(java_major "$JAVA_HOME")" -ge 24 ]; then
  # Maven's and Kafka's libraries use sun.misc.Unsafe; JDK 24+ warns about it unless allowed.
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  java_opts+=(--sun-misc-unsafe-memory-access=allow)
fi

cpfile="target/bench.classpath"
build=(./mvnw -B -q test-compile dependency:build-classpath -Dmdep.includeScope=test "-Dmdep.outputFile=$cpfile" -pl "$module" -am)
echo "bench.sh: building $module test classes and classpath ..." >&2
if ! (cd "$root" && "${build[@]}" -o >/dev/null 2>&1); then
  echo "bench.sh: offline build failed; retrying with the network" >&2
  (cd "$root" && "${build[@]}") >&2
fi

dir="$root/$module"
tmp="$dir/target/bench-tmp"
mkdir -p "$tmp"
classpath="$dir/target/test-classes:$dir/target/classes:$(cat "$dir/$cpfile")"
shared="$(cd "$root/.." && pwd)/shared"
cd "$dir"
# shellcheck disable=SC2086 # BENCH_JAVA_OPTS is a list of options
exec "$JAVA_HOME/bin/java" "${java_opts[@]}" -Djava.io.tmpdir="$tmp" -Dvirtiofleet.shared.dir="$shared" \
  ${BENCH_JAVA_OPTS:-} -cp "$classpath" "$class" "$@"
