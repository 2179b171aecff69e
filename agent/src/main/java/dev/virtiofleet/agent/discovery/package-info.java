/**
 * Finding the QMP monitors to poll: unix-socket globs and static {@code host:port} entries,
 * re-read every interval ({@link dev.virtiofleet.agent.discovery.DiscoveryLoop}).
 *
 * <p>Under libvirt, libvirtd owns each domain's monitor, and a QMP socket accepts one client at a
 * time. Give each domain a second, telemetry-only monitor in the directory the default glob
 * {@code /run/virtio-fleet/qmp/*.sock} watches:
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
 * The directory must be writable by the QEMU user (libvirt-qemu on Debian) and allowed by the
 * host's AppArmor/SELinux policy for QEMU. A libvirt discovery mode that lists running domains
 * itself is not written yet.
 */
package dev.virtiofleet.agent.discovery;
