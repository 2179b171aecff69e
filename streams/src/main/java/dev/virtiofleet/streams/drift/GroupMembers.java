package dev.virtiofleet.streams.drift;

import java.util.List;
import java.util.Optional;

/** The members of one group and model, wherever they are kept (a state store in the topology). */
public interface GroupMembers {
    Optional<Member> get(String deviceKey);

    void put(String deviceKey, Member member);

    void delete(String deviceKey);

    /** Every member, in device-key order. */
    List<Member> all();
}
