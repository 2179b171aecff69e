/**
 * Finding the QMP monitors to poll: unix-socket globs, static {@code host:port} entries and the
 * running libvirt domains, re-read every interval ({@link dev.virtiofleet.agent.discovery.DiscoveryLoop}).
 *
 * <p>Under libvirt, libvirtd owns each domain's monitor, and a QMP socket accepts one client at a
 * time. Give each domain a second, telemetry-only monitor in the per-VM telemetry directory:
 *
 * <pre>{@code
 * <domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
 *   ...
 *   <qemu:commandline>
 *     <qemu:arg value='-qmp'/>
 *     <qemu:arg value='unix:/run/virtio-fleet/qmp/DOMAIN-NAME.sock,server=on,wait=off'/>
 *   </qemu:commandline>
 * </domain>
 * }</pre>
 *
 * (with {@code virsh edit DOMAIN-NAME}; the {@code xmlns:qemu} declaration on {@code <domain>} is
 * required, and the change takes effect when the domain next starts). The directory must be
 * writable by the QEMU user (libvirt-qemu on Debian) and allowed by the host's AppArmor/SELinux
 * policy for QEMU.
 *
 * <p>Two ways to find those sockets: the default glob {@code /run/virtio-fleet/qmp/*.sock} polls every
 * socket in the directory; libvirt mode ({@code discovery.libvirt.enabled: true},
 * {@link dev.virtiofleet.agent.discovery.LibvirtConfig}) polls exactly the running domains, maps
 * each name through {@code socket-pattern} (default {@code /run/virtio-fleet/qmp/{domain}.sock}),
 * drops a domain when it stops even if its socket file is left behind, and reports once a running
 * domain whose socket is missing, that is, whose XML lacks the snippet above. Domains are listed by
 * {@code virsh --readonly -c qemu:///system list --name} (libvirt's read-only socket suffices) or,
 * with {@code list-from: state-dir}, from libvirtd's {@code /run/libvirt/qemu/<domain>.pid} files.
 * No libvirt library is loaded into the agent: the Java binding's newest release on Maven Central
 * ({@code org.libvirt:libvirt} 0.5.2) is JNA over the native libvirt client library and accepts JNA
 * only up to 5.5.0; a subprocess keeps native code out of the agent. With libvirt mode on, take
 * the telemetry directory out of {@code socket-globs}, or the sockets that stopped domains left
 * behind are tried too.
 */
package dev.virtiofleet.agent.discovery;
