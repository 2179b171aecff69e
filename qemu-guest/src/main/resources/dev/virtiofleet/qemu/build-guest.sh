#!/usr/bin/env bash
# Builds the small Linux guest the real-QEMU tests and demo --qemu boot (RealQemuGuest runs it): Debian's cloud kernel and an initramfs with
# busybox that loads the virtio drivers and keeps its disk and network a little busy.
# Bump GUEST_VERSION below whenever the guest changes, so cached copies are rebuilt.
#   build-guest.sh OUT_DIR   ->  OUT_DIR/vmlinuz, OUT_DIR/initramfs.cpio.gz, OUT_DIR/disk.img
# Needs apt (to download the two packages), dpkg-deb, cpio and gzip. Idempotent: a finished OUT_DIR
# (with its .complete stamp) is left alone.
set -euo pipefail

out="${1:?usage: $0 OUT_DIR}"
GUEST_VERSION=2
[ -f "$out/.complete" ] && [ "$(cat "$out/.complete")" = "$GUEST_VERSION" ] && exit 0
rm -rf "$out"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for tool in apt-get apt-cache dpkg-deb cpio gzip; do
  command -v "$tool" >/dev/null || { echo "build-test-guest: '$tool' is missing; install it (Debian package of that name)" >&2; exit 2; }
done

kernel_pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
if [ -z "$kernel_pkg" ]; then
  echo "build-test-guest: apt does not know linux-image-cloud-amd64; run 'apt-get update' first" >&2
  exit 2
fi

(cd "$work" && apt-get download -q "$kernel_pkg" busybox-static >/dev/null 2>&1) || {
  echo "build-test-guest: apt-get download $kernel_pkg busybox-static failed" >&2; exit 2; }
dpkg-deb -x "$work/${kernel_pkg}"_*.deb "$work/kernel"
dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox"

version="${kernel_pkg#linux-image-}"
modules="$work/kernel/lib/modules/$version/kernel"
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,modules}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"

# Load order follows each module's depends= (virtio_ring first).
order="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net
       virtio_blk scsi_common scsi_mod virtio_scsi virtio_balloon virtio_input virtio_console virtio-rng"
for name in $order; do
  file="$(find "$modules" -name "$name.ko" -print -quit)"
  [ -n "$file" ] || { echo "build-test-guest: module $name.ko not in $kernel_pkg" >&2; exit 2; }
  cp "$file" "$root/modules/"
done
printf '%s\n' $order > "$root/modules/order"

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules/order); do insmod "/modules/$m.ko" || echo "virtio-fleet-guest: insmod $m failed"; done
ip link set lo up
ip link set eth0 up 2>/dev/null
ip addr add 10.0.2.15/24 dev eth0 2>/dev/null
echo "virtio-fleet-guest: ready"
# A little steady disk and network work, so request queues' indices move like a live guest's.
n=0
while true; do
  n=$((n + 1))
  dd if=/dev/vda of=/dev/null bs=4096 count=8 skip=$((n % 1024)) iflag=direct 2>/dev/null
  ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1
  sleep 1
done
INIT
chmod +x "$root/init"

cp "$work/kernel/boot/vmlinuz-$version" "$out/vmlinuz"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.cpio.gz"
head -c 16777216 /dev/zero > "$out/disk.img"
echo "$kernel_pkg" > "$out/kernel-package"
echo "$GUEST_VERSION" > "$out/.complete"
