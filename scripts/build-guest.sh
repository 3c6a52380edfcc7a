#!/usr/bin/env bash
# Builds Hartwood's default Linux guest from Debian packages only: a kernel from
# linux-source-6.1 (tinyconfig + scripts/guest/kernel.config), a test initramfs
# (busybox + scripts/guest/init.sh) and an ext4 root disk (busybox + scripts/guest/rootfs).
#
#   scripts/build-guest.sh [--defconfig]
#
# --defconfig builds the kernel from plain `defconfig` (with the same fragment on top, so
# it has every device the board needs) as a separate cache entry, for slow tests.
#
# Idempotent: the result lives in ${HARTWOOD_CACHE:-~/.cache/hartwood}/guest/<key>/, where
# the key hashes every input (kernel source version, cross compiler, this script, the files
# under scripts/guest/, the busybox binary). The last line of stdout is that directory,
# which holds Image, initramfs.cpio, rootfs.ext4 (pristine), kernel.config and
# manifest.json. Progress goes to stderr. Nothing here needs root: file ownership in the
# initramfs comes from gen_init_cpio's list, in the disk from fakeroot.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
guest_files="$here/guest"
start=$(date +%s)
log() { echo "build-guest: [$(($(date +%s) - start))s] $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

mode=tiny
case "${1:-}" in
  "") ;;
  --defconfig) mode=defconfig ;;
  -h | --help)
    sed -n '2,16s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
  *) die "unknown option $1 (usage: build-guest.sh [--defconfig])" ;;
esac

# shellcheck source=guest/apt-install.sh
source "$(dirname "$0")/guest/apt-install.sh"
LINUX_SOURCE_PKG=linux-source-6.1
DEB_PACKAGES=(
  "$LINUX_SOURCE_PKG" xz-utils make gcc gcc-riscv64-linux-gnu flex bison bc
  libelf-dev libssl-dev fakeroot e2fsprogs qemu-user dpkg-dev
)
APT_WHO=build-guest ensure_debian_packages "${DEB_PACKAGES[@]}"

cache="${HARTWOOD_CACHE:-$HOME/.cache/hartwood}/guest"
mkdir -p "$cache"

# build-busybox.sh is silent when its result is cached; name the stage only when it works.
busybox_progress() {
  local line first=1
  while IFS= read -r line; do
    [ -z "$first" ] || log "building busybox"
    first=""
    echo "$line" >&2
  done
}
busybox=$(bash "$here/build-busybox.sh" 2> >(busybox_progress) | tail -1)
[ -x "$busybox" ] || die "scripts/build-busybox.sh gave no busybox"

linux_version=$(dpkg-query -W -f='${Version}' "$LINUX_SOURCE_PKG")
linux_tarball="/usr/src/$LINUX_SOURCE_PKG.tar.xz"
[ -r "$linux_tarball" ] || die "$linux_tarball is missing (reinstall $LINUX_SOURCE_PKG)"
safe_version=$(echo "$linux_version" | tr ':~+' '___')

# The key covers every input; scripts/guest is hashed file by file (names and contents) so
# a renamed or added file changes it too.
key_inputs() {
  echo "mode $mode"
  echo "linux $LINUX_SOURCE_PKG $linux_version"
  echo "cc $(riscv64-linux-gnu-gcc --version | head -1)"
  echo "busybox $(sha256sum <"$busybox" | cut -d' ' -f1)"
  (cd "$here" && find build-guest.sh guest -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  # Executable bits matter (rcS, init), so they are part of the key too.
  (cd "$here" && find guest -type f -perm -u+x | LC_ALL=C sort)
}
key="$mode-$(key_inputs | sha256sum | cut -c1-16)"
out="$cache/$key"
if [ -f "$out/manifest.json" ]; then
  echo "$out"
  exit 0
fi

# One builder per mode at a time (a tiny build need not wait for a half-hour defconfig one).
exec 9>"$cache/lock-$mode"
if ! flock -n 9; then
  log "waiting for another build-guest.sh $mode build to finish"
  flock 9
fi
if [ -f "$out/manifest.json" ]; then
  echo "$out"
  exit 0
fi

tmp="$cache/.tmp-$key-$$"
trap 'rm -rf "$tmp"' EXIT
rm -rf "$cache/.tmp-$mode-"* # left by a builder that was killed (we hold the mode's lock)
mkdir -p "$tmp/work"

# The kernel source, extracted once per package version (a config change reuses it).
# Builders hold src.lock shared while they use the tree, exclusive to extract it.
src="$cache/src/linux-$safe_version"
exec 8>"$cache/src.lock"
flock -s 8
if [ ! -f "$src/.extracted" ]; then
  flock -u 8
  flock 8
fi
if [ ! -f "$src/.extracted" ]; then
  log "extracting $LINUX_SOURCE_PKG $linux_version"
  # Trees of older package versions are only disk space now (no builder holds them).
  rm -rf "$cache/src" "$cache/obj"
  mkdir -p "$cache/src/tmp"
  tar -xJf "$linux_tarball" -C "$cache/src/tmp"
  mv "$cache/src/tmp/$LINUX_SOURCE_PKG" "$src"
  rmdir "$cache/src/tmp"
  touch "$src/.extracted"
fi
flock -s 8

# The object tree is kept per mode, so a rebuild after a config change is incremental.
obj="$cache/obj/$safe_version-$mode"
mkdir -p "$obj"
kmake=(make -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- -j"$(nproc)")

log "configuring ($mode + scripts/guest/kernel.config)"
fragment="$guest_files/kernel.config"
rm -f "$obj/.config"
if [ "$mode" = tiny ]; then
  "${kmake[@]}" -s tinyconfig >/dev/null
else
  "${kmake[@]}" -s defconfig >/dev/null
fi
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >"$obj/merge.log" 2>&1 ||
  die "merge_config.sh failed; see $obj/merge.log"
# (Its "override: changes choice state" warnings are the fragment doing its job.)
"${kmake[@]}" -s olddefconfig >>"$obj/merge.log" 2>&1
# Kconfig silently drops an option whose dependencies are off: insist on each one.
lost=()
while IFS= read -r line; do
  grep -qxF "$line" "$obj/.config" || lost+=("$line")
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment")
[ ${#lost[@]} -eq 0 ] || die "not in the final .config (dependencies off?): ${lost[*]}"

expect="about 4 min"
[ "$mode" = tiny ] || expect="about 10 min"
log "compiling kernel with $(nproc) jobs ($expect on 2 idle cores for a first build)"
kstart=$(date +%s)
count=0
# How many files the biggest build in this object tree compiled, to say how far along it is.
of=""
[ ! -s "$obj/files-compiled" ] || of=" of ~$(cat "$obj/files-compiled")"
# The full log goes to $obj/build.log; stderr gets a line every 100 compiled files.
if ! "${kmake[@]}" Image 2>&1 | tee "$obj/build.log" | while IFS= read -r line; do
  case "$line" in
    "  CC "* | "  AS "*)
      count=$((count + 1))
      [ $((count % 100)) -ne 0 ] || log "compiling kernel: $count files$of"
      ;;
  esac
done; then
  grep -E 'error|Error' "$obj/build.log" | head -20 >&2 || true
  die "kernel build failed; the log is $obj/build.log"
fi
kernel_seconds=$(($(date +%s) - kstart))
compiled=$(grep -cE '^  (CC|AS) ' "$obj/build.log" || true)
[ "$compiled" -le "$(cat "$obj/files-compiled" 2>/dev/null || echo 0)" ] || echo "$compiled" >"$obj/files-compiled"
log "kernel built in ${kernel_seconds}s"
cp "$obj/arch/riscv/boot/Image" "$tmp/Image"
cp "$obj/.config" "$tmp/kernel.config"

# Applet links as busybox itself lists them (bin/ls, usr/bin/env...), asked under qemu-user.
qemu-riscv64 "$busybox" --list-full >"$tmp/work/applets" || die "qemu-riscv64 cannot run $busybox"
grep -q '^sbin/init$' "$tmp/work/applets" || die "busybox has no init applet"

log "initramfs"
# gen_init_cpio (from the kernel source) writes owners and device nodes from a list, so no
# root is needed.
gcc -O2 -o "$tmp/work/gen_init_cpio" "$src/usr/gen_init_cpio.c"
{
  for d in /bin /sbin /usr /usr/bin /usr/sbin /dev /proc /sys /mnt /root /etc; do
    echo "dir $d 0755 0 0"
  done
  echo "dir /tmp 1777 0 0"
  echo "nod /dev/console 0600 0 0 c 5 1"
  echo "nod /dev/null 0666 0 0 c 1 3"
  echo "file /bin/busybox $busybox 0755 0 0"
  echo "file /init $guest_files/init.sh 0755 0 0"
  grep -vx 'bin/busybox' "$tmp/work/applets" | while IFS= read -r a; do
    echo "slink /$a /bin/busybox 0777 0 0"
  done
} >"$tmp/work/initramfs.list"
"$tmp/work/gen_init_cpio" "$tmp/work/initramfs.list" >"$tmp/initramfs.cpio"

log "ext4 disk"
root="$tmp/work/rootfs"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,mnt,root}
cp -R "$guest_files/rootfs/." "$root/"
install -m 0755 "$busybox" "$root/bin/busybox"
grep -vx 'bin/busybox' "$tmp/work/applets" | while IFS= read -r a; do
  ln -s /bin/busybox "$root/$a"
done
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
# Inside one fakeroot session every file is root's and mknod works; mke2fs -d copies that.
# shellcheck disable=SC2016 # $1 and $2 are the inner shell's
fakeroot -- sh -c '
  mknod -m 0600 "$1/dev/console" c 5 1
  mknod -m 0666 "$1/dev/null" c 1 3
  mke2fs -q -F -t ext4 -L hartwood -d "$1" "$2" 64M >&2
' sh "$root" "$tmp/rootfs.ext4" || die "mke2fs failed"

rm -rf "$tmp/work"
cat >"$tmp/manifest.json" <<EOF
{
  "key": "$key",
  "mode": "$mode",
  "linuxSource": "$LINUX_SOURCE_PKG $linux_version",
  "kernelBuildSeconds": $kernel_seconds,
  "files": {
    "kernel": "Image",
    "initramfs": "initramfs.cpio",
    "rootfs": "rootfs.ext4",
    "config": "kernel.config"
  },
  "cmdline": {
    "disk": "root=/dev/vda rw console=ttyS0",
    "initramfs": "console=ttyS0 hwtest=smoke panic=-1"
  }
}
EOF
rm -rf "$out"
mv -T "$tmp" "$out"
trap - EXIT
# Keep the three newest entries of this mode; older ones are only disk space.
find "$cache" -mindepth 1 -maxdepth 1 -type d -name "$mode-*" -printf '%T@ %p\n' |
  sort -rn | tail -n +4 | cut -d' ' -f2- | xargs -r rm -rf
log "built $out"
echo "$out"
