package dev.virtiofleet.agent.poll;

/** The VM's run state as QEMU names it ({@code running}, {@code paused}, ...) and whether the guest runs. */
public record RunState(String status, boolean running) {}
