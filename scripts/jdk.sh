# Sourced by ./virtio-fleet and .ci/run: finds a JDK 21 or newer and exports JAVA_HOME and PATH.
# Looks at $JAVA_HOME first, then the JDKs under /usr/lib/jvm (Temurin 25 on these machines).

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {split($2, v, "."); print v[1]}'
}

require_jdk21() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "virtio-fleet needs a JDK 21 or newer; none found at \$JAVA_HOME (${JAVA_HOME:-unset}) or under /usr/lib/jvm." >&2
  echo "Install one (e.g. Temurin 21+ or Debian's openjdk-21-jdk) and set JAVA_HOME to it." >&2
  return 1
}
