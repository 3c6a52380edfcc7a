#!/bin/sh
# PID 1 of the test initramfs. The kernel command line picks a test with hwtest=NAME; each
# test prints "HWTEST ..." lines for the harness and ends with "HWTEST PASS NAME" or
# "HWTEST FAIL NAME: why", then powers the machine off. Without hwtest= it starts a shell.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null

hwtest=""
hwtoken=""
hwrun=""
hwargs=""
# shellcheck disable=SC2013 # the command line is words, not lines
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    hwtest=*) hwtest="${arg#hwtest=}" ;;
    hwtoken=*) hwtoken="${arg#hwtoken=}" ;;
    hwrun=*) hwrun="${arg#hwrun=}" ;;
    hwargs=*) hwargs="${arg#hwargs=}" ;;
  esac
done

off() {
  sync
  poweroff -f
  sleep 10 # poweroff -f returns only if the board has no way to power off
  exit 1
}
pass() {
  echo "HWTEST PASS $hwtest"
  off
}
fail() {
  echo "HWTEST FAIL $hwtest: $*"
  off
}

# Milliseconds since boot, from /proc/uptime (busybox date has no %N).
uptime_ms() {
  read -r up _ </proc/uptime
  frac="${up#*.}"
  frac="${frac#0}"
  echo $((${up%.*} * 1000 + ${frac:-0} * 10))
}

test_smoke() {
  harts=$(grep -c '^processor' /proc/cpuinfo)
  echo "HWTEST harts=$harts"
  echo "HWTEST online=$(cat /sys/devices/system/cpu/online)"
  echo "HWTEST isa=$(grep -m1 '^isa' /proc/cpuinfo | sed 's/.*: //')"
  echo "HWTEST kernel=$(uname -r)"
  echo "HWTEST date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  [ "$harts" -ge 1 ] || fail "no processor in /proc/cpuinfo"

  t0=$(uptime_ms)
  sleep 1
  t1=$(uptime_ms)
  ms=$((t1 - t0))
  echo "HWTEST sleep1_ms=$ms"
  [ "$ms" -ge 900 ] || fail "sleep 1 took ${ms} ms"
  [ "$ms" -le 5000 ] || fail "sleep 1 took ${ms} ms"

  mount -t tmpfs tmpfs /tmp || fail "cannot mount tmpfs"
  echo "hartwood $hwtest $t1" >/tmp/probe
  [ "$(cat /tmp/probe)" = "hartwood $hwtest $t1" ] || fail "tmpfs read-back differs"
  umount /tmp || fail "cannot unmount tmpfs"
  echo "HWTEST tmpfs ok"

  rng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
  echo "HWTEST rng_current=${rng:-none}"
  case "$rng" in
    virtio*) dev=/dev/hwrng ;;
    *) dev=/dev/urandom ;;
  esac
  bytes=$(dd if="$dev" bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')
  [ "${#bytes}" -eq 32 ] || fail "read ${#bytes} hex digits from $dev, wanted 32"
  echo "HWTEST random=$bytes"
  [ "$dev" = /dev/hwrng ] && echo "HWTEST rng ok"
  pass
}

mount_disk() {
  [ -b /dev/vda ] || fail "no /dev/vda"
  mount -t ext4 /dev/vda /mnt || fail "cannot mount /dev/vda"
}

test_disk_write() {
  [ -n "$hwtoken" ] || fail "no hwtoken= on the command line"
  mount_disk
  echo "$hwtoken" >/mnt/hwtoken || fail "cannot write /mnt/hwtoken"
  sync
  umount /mnt || fail "cannot unmount /dev/vda"
  echo "HWTEST wrote $hwtoken"
  pass
}

test_disk_check() {
  [ -n "$hwtoken" ] || fail "no hwtoken= on the command line"
  mount_disk
  found=$(cat /mnt/hwtoken 2>/dev/null)
  umount /mnt || fail "cannot unmount /dev/vda"
  echo "HWTEST read ${found:-nothing}"
  [ "$found" = "$hwtoken" ] || fail "token file holds '${found}', wanted '$hwtoken'"
  pass
}

# Runs hwrun=PROGRAM from the ext4 disk on /dev/vda with hwargs=A,B,... (the benchmark's
# in-guest program): prints its output and the guest's uptime before and after.
test_run() {
  [ -n "$hwrun" ] || fail "no hwrun= on the command line"
  mount -t ext4 -o ro /dev/vda /mnt || fail "cannot mount /dev/vda"
  # shellcheck disable=SC2046 # the arguments are words
  set -- $(echo "$hwargs" | tr , ' ')
  t0=$(cut -d' ' -f1 /proc/uptime)
  out=$("/mnt/$hwrun" "$@") || fail "/mnt/$hwrun exited with status $?"
  t1=$(cut -d' ' -f1 /proc/uptime)
  umount /mnt
  echo "HWTEST output $out"
  echo "HWTEST uptime $t0 $t1"
  pass
}

# Reboots once: the first boot leaves a mark on the disk and reboots, the second finds it.
test_reboot() {
  mount_disk
  if [ -e /mnt/hwrebooted ]; then
    rm /mnt/hwrebooted
    umount /mnt
    echo "HWTEST second boot"
    pass
  fi
  echo "$hwtest" >/mnt/hwrebooted
  umount /mnt || fail "cannot unmount /dev/vda"
  echo "HWTEST first boot: rebooting"
  sync
  reboot -f
  sleep 10
  fail "reboot -f returned"
}

echo "HWTEST START ${hwtest:-shell}"
case "$hwtest" in
  smoke) test_smoke ;;
  disk-write) test_disk_write ;;
  disk-check) test_disk_check ;;
  reboot) test_reboot ;;
  run) test_run ;;
  panic)
    # Returning from PID 1 makes the kernel panic ("Attempted to kill init!").
    echo "HWTEST PASS panic"
    exit 1
    ;;
  "")
    mount -t tmpfs tmpfs /tmp
    hostname hartwood
    echo "Hartwood test initramfs: 'exit' powers off."
    setsid cttyhack sh -l
    off
    ;;
  *) fail "unknown test" ;;
esac
