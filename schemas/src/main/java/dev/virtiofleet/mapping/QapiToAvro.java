package dev.virtiofleet.mapping;

import dev.virtiofleet.qapi.VhostDeviceProtocols;
import dev.virtiofleet.qapi.VhostStatus;
import dev.virtiofleet.qapi.VirtQueueStatus;
import dev.virtiofleet.qapi.VirtVhostQueueStatus;
import dev.virtiofleet.qapi.VirtioDeviceFeatures;
import dev.virtiofleet.qapi.VirtioDeviceStatus;
import dev.virtiofleet.qapi.VirtioQueueElement;
import dev.virtiofleet.qapi.VirtioRingDesc;
import dev.virtiofleet.qapi.VirtioStatus;
import dev.virtiofleet.qapi.features.FeatureSet;
import dev.virtiofleet.serde.TrustedAvroClasses;
import java.util.ArrayList;
import java.util.List;

/**
 * Maps the QAPI records read from QMP onto their Avro counterparts (same names, package {@code
 * dev.virtiofleet.avro}). Feature and status text is reduced to stable symbols here; entries that
 * yield none travel in {@code unparseable}.
 */
public final class QapiToAvro {
    static {
        TrustedAvroClasses.install();
    }

    private QapiToAvro() {}

    public static dev.virtiofleet.avro.VirtioStatus status(VirtioStatus s) {
        return dev.virtiofleet.avro.VirtioStatus.newBuilder()
                .setName(s.name())
                .setDeviceId(s.deviceId())
                .setVhostStarted(s.vhostStarted())
                .setDeviceEndian(s.deviceEndian())
                .setGuestFeatures(features(s.guestFeatures()))
                .setHostFeatures(features(s.hostFeatures()))
                .setBackendFeatures(features(s.backendFeatures()))
                .setNumVqs(s.numVqs())
                .setStatus(deviceStatus(s.status()))
                .setIsr(s.isr())
                .setQueueSel(s.queueSel())
                .setVmRunning(s.vmRunning())
                .setBroken(s.broken())
                .setDisabled(s.disabled())
                .setUseStarted(s.useStarted())
                .setStarted(s.started())
                .setStartOnKick(s.startOnKick())
                .setDisableLegacyCheck(s.disableLegacyCheck())
                .setBusName(s.busName())
                .setUseGuestNotifierMask(s.useGuestNotifierMask())
                .setVhostDev(s.vhostDev().map(QapiToAvro::vhost).orElse(null))
                .build();
    }

    public static dev.virtiofleet.avro.VirtioDeviceFeatures features(VirtioDeviceFeatures f) {
        Symbols transports = Symbols.of(f.transports());
        Symbols device = f.devFeatures().map(Symbols::of).orElse(null);
        List<String> unparseable = new ArrayList<>(transports.unparseable());
        if (device != null) {
            unparseable.addAll(device.unparseable());
        }
        return dev.virtiofleet.avro.VirtioDeviceFeatures.newBuilder()
                .setTransports(transports.symbols())
                .setDevFeatures(device == null ? null : device.symbols())
                .setUnknownDevFeatures(f.unknownDevFeatures().orElse(null))
                .setUnparseable(unparseable)
                .build();
    }

    public static dev.virtiofleet.avro.VirtioDeviceStatus deviceStatus(VirtioDeviceStatus s) {
        Symbols statuses = Symbols.of(s.statuses());
        return dev.virtiofleet.avro.VirtioDeviceStatus.newBuilder()
                .setStatuses(statuses.symbols())
                .setUnknownStatuses(s.unknownStatuses().orElse(null))
                .setUnparseable(statuses.unparseable())
                .build();
    }

    public static dev.virtiofleet.avro.VhostDeviceProtocols protocols(VhostDeviceProtocols p) {
        Symbols protocols = Symbols.of(p.protocols());
        return dev.virtiofleet.avro.VhostDeviceProtocols.newBuilder()
                .setProtocols(protocols.symbols())
                .setUnknownProtocols(p.unknownProtocols().orElse(null))
                .setUnparseable(protocols.unparseable())
                .build();
    }

    public static dev.virtiofleet.avro.VhostStatus vhost(VhostStatus v) {
        return dev.virtiofleet.avro.VhostStatus.newBuilder()
                .setNMemSections(v.nMemSections())
                .setNTmpSections(v.nTmpSections())
                .setNvqs(v.nvqs())
                .setVqIndex(v.vqIndex())
                .setFeatures(features(v.features()))
                .setAckedFeatures(features(v.ackedFeatures()))
                .setBackendFeatures(features(v.backendFeatures()))
                .setProtocolFeatures(protocols(v.protocolFeatures()))
                .setMaxQueues(v.maxQueues())
                .setBackendCap(v.backendCap())
                .setLogEnabled(v.logEnabled())
                .setLogSize(v.logSize())
                .build();
    }

    public static dev.virtiofleet.avro.VirtQueueStatus queueStatus(VirtQueueStatus q) {
        return dev.virtiofleet.avro.VirtQueueStatus.newBuilder()
                .setName(q.name())
                .setQueueIndex(q.queueIndex())
                .setInuse(q.inuse())
                .setVringNum(q.vringNum())
                .setVringNumDefault(q.vringNumDefault())
                .setVringAlign(q.vringAlign())
                .setVringDesc(q.vringDesc())
                .setVringAvail(q.vringAvail())
                .setVringUsed(q.vringUsed())
                .setLastAvailIdx(q.lastAvailIdx().orElse(null))
                .setShadowAvailIdx(q.shadowAvailIdx().orElse(null))
                .setUsedIdx(q.usedIdx())
                .setSignalledUsed(q.signalledUsed())
                .setSignalledUsedValid(q.signalledUsedValid())
                .build();
    }

    public static dev.virtiofleet.avro.VirtVhostQueueStatus vhostQueueStatus(VirtVhostQueueStatus q) {
        return dev.virtiofleet.avro.VirtVhostQueueStatus.newBuilder()
                .setName(q.name())
                .setKick(q.kick())
                .setCall(q.call())
                .setDesc(q.desc())
                .setAvail(q.avail())
                .setUsed(q.used())
                .setNum(q.num())
                .setDescPhys(q.descPhys())
                .setDescSize(q.descSize())
                .setAvailPhys(q.availPhys())
                .setAvailSize(q.availSize())
                .setUsedPhys(q.usedPhys())
                .setUsedSize(q.usedSize())
                .build();
    }

    public static dev.virtiofleet.avro.VirtioQueueElement queueElement(VirtioQueueElement e) {
        return dev.virtiofleet.avro.VirtioQueueElement.newBuilder()
                .setName(e.name())
                .setIndex(e.index())
                .setDescs(e.descs().stream().map(QapiToAvro::desc).toList())
                .setAvail(new dev.virtiofleet.avro.VirtioRingAvail(e.avail().flags(), e.avail().idx(), e.avail().ring()))
                .setUsed(new dev.virtiofleet.avro.VirtioRingUsed(e.used().flags(), e.used().idx()))
                .build();
    }

    private static dev.virtiofleet.avro.VirtioRingDesc desc(VirtioRingDesc d) {
        return new dev.virtiofleet.avro.VirtioRingDesc(d.addr(), d.len(), d.flags());
    }

    /** One QEMU list split into symbols and entries that yield none. */
    private record Symbols(List<String> symbols, List<String> unparseable) {
        static Symbols of(List<String> entries) {
            FeatureSet parsed = FeatureSet.parse(0, entries);
            return new Symbols(List.copyOf(parsed.symbols()), parsed.unparseable());
        }
    }
}
