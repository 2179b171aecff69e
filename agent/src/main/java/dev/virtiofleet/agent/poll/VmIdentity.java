package dev.virtiofleet.agent.poll;

import java.util.Optional;

/** Who a VM is ({@code query-name}, {@code query-uuid}), independent of where its socket lives. */
public record VmIdentity(Optional<String> name, Optional<String> uuid) {
    public static final VmIdentity UNKNOWN = new VmIdentity(Optional.empty(), Optional.empty());

    @Override
    public String toString() {
        return name.orElse("(unnamed)") + "/" + uuid.orElse("(no uuid)");
    }
}
