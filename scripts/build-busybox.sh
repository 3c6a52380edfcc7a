#!/usr/bin/env bash
# Builds a static riscv64 busybox from Debian's busybox source package, for the user-mode
# tests. Idempotent: the result is cached in $HARTWOOD_CACHE (default ~/.cache/hartwood)
# under a key made of the source version and this script (which holds the configuration),
# and the path of the binary is printed as the last line of stdout.
#
# The source comes from a project-local deb-src list that mirrors the machine's Debian
# suite, so /etc/apt is never touched. Needs dpkg-dev (dpkg-source), make, gcc and
# gcc-riscv64-linux-gnu, all installed by scripts/setup.sh.
set -euo pipefail

cache="${HARTWOOD_CACHE:-$HOME/.cache/hartwood}/busybox"
apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$cache/src"

log() { echo "build-busybox: $*" >&2; }

# One build at a time per cache (two test runs may start it together).
exec 9>"$cache/lock"
flock 9

# The suite and mirror the machine uses (deb822 or one-line format), defaulting to bookworm.
suite=""
mirror=""
for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -r "$f" ] || continue
  if [ -z "$suite" ] && grep -q '^Suites:' "$f" 2>/dev/null; then
    if grep -q '^URIs:.*debian/\?$' "$f"; then
      mirror=$(grep -m1 '^URIs:.*debian/\?$' "$f" | awk '{print $2}')
      suite=$(grep -m1 '^Suites:' "$f" | awk '{print $2}')
    fi
  elif [ -z "$suite" ] && grep -qE '^deb [^[]*debian/? ' "$f" 2>/dev/null; then
    line=$(grep -m1 -E '^deb [^[]*debian/? ' "$f")
    mirror=$(echo "$line" | awk '{print $2}')
    suite=$(echo "$line" | awk '{print $3}')
  fi
done
suite="${suite:-bookworm}"
mirror="${mirror:-http://deb.debian.org/debian}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/sources.list.new" <<EOF
deb-src [signed-by=$keyring] $mirror $suite main
deb-src [signed-by=$keyring] $mirror $suite-updates main
EOF
if ! cmp -s "$apt_dir/sources.list.new" "$apt_dir/sources.list" 2>/dev/null; then
  mv "$apt_dir/sources.list.new" "$apt_dir/sources.list"
  rm -f "$apt_dir/updated"
else
  rm -f "$apt_dir/sources.list.new"
fi

apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "Dir::Cache::pkgcache=$apt_dir/pkgcache.bin"
  -o "Dir::Cache::srcpkgcache=$apt_dir/srcpkgcache.bin"
  -o "APT::Sandbox::User=root"
)
update_index() {
  log "updating the deb-src index for $suite from $mirror"
  apt-get "${apt_opts[@]}" -q update >&2 && touch "$apt_dir/updated"
}

# Refresh the source index at most once a day; a stale index is fine while it still names
# a version whose build is cached.
if [ -z "$(find "$apt_dir/updated" -mmin -1440 2>/dev/null)" ]; then
  update_index || [ -f "$apt_dir/updated" ] || { log "cannot fetch the deb-src index"; exit 1; }
fi

version=$(apt-cache "${apt_opts[@]}" showsrc busybox | awk '/^Version:/ {print $2}' | sort -V | tail -1)
[ -n "$version" ] || { log "no busybox source package in $suite"; exit 1; }
upstream=${version#*:}
upstream=${upstream%-*}
# make cannot take ':' in paths, and Debian versions have an epoch.
safe_version=$(echo "$version" | tr ':~+' '___')
key="$safe_version-$(sha256sum "$0" | cut -c1-12)"
out="$cache/$key/busybox"
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

start=$(date +%s)
srcdir="$cache/src/busybox-$safe_version"
fetch_source() {
  rm -rf "$srcdir" "$cache/src/tmp"
  mkdir -p "$cache/src/tmp"
  (cd "$cache/src/tmp" && apt-get "${apt_opts[@]}" -q source "busybox=$version" >&2) || return 1
  mv "$cache/src/tmp/busybox-$upstream" "$srcdir"
  rm -rf "$cache/src/tmp"
  touch "$srcdir/.extracted"
}
if [ ! -f "$srcdir/.extracted" ]; then
  log "fetching and unpacking busybox $version"
  # The mirror may have dropped the version a day-old index names: refresh once and retry.
  fetch_source || { update_index && fetch_source; } || { log "cannot fetch busybox $version"; exit 1; }
fi

build="$cache/$key/build"
rm -rf "$build"
mkdir -p "$build"
make_opts=(-C "$srcdir" O="$build" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- -j"$(nproc)")

log "configuring (defconfig, static, shell runs applets itself)"
make "${make_opts[@]}" defconfig >/dev/null
# Static, with the shell running applets itself rather than whatever /bin/ls the host has
# (as Debian's busybox-static does), and without the applets that need what Debian's riscv64
# glibc does not give a static program (NFS/RPC, PAM, SELinux) or kernel definitions newer
# headers dropped (tc's CBQ).
sed -i \
  -e 's/^# CONFIG_STATIC is not set/CONFIG_STATIC=y/' \
  -e 's/^# CONFIG_FEATURE_PREFER_APPLETS is not set/CONFIG_FEATURE_PREFER_APPLETS=y/' \
  -e 's/^# CONFIG_FEATURE_SH_STANDALONE is not set/CONFIG_FEATURE_SH_STANDALONE=y/' \
  -e 's/^# CONFIG_FEATURE_SH_NOFORK is not set/CONFIG_FEATURE_SH_NOFORK=y/' \
  -e 's/^CONFIG_TC=y/# CONFIG_TC is not set/' \
  -e 's/^CONFIG_FEATURE_TC_INGRESS=y/# CONFIG_FEATURE_TC_INGRESS is not set/' \
  -e 's/^CONFIG_FEATURE_MOUNT_NFS=y/# CONFIG_FEATURE_MOUNT_NFS is not set/' \
  -e 's/^CONFIG_FEATURE_INETD_RPC=y/# CONFIG_FEATURE_INETD_RPC is not set/' \
  -e 's/^CONFIG_SELINUX=y/# CONFIG_SELINUX is not set/' \
  -e 's/^CONFIG_PAM=y/# CONFIG_PAM is not set/' \
  "$build/.config"
(yes "" || true) | make "${make_opts[@]}" oldconfig >/dev/null
for opt in STATIC FEATURE_PREFER_APPLETS FEATURE_SH_STANDALONE FEATURE_SH_NOFORK; do
  grep -q "^CONFIG_$opt=y" "$build/.config" || { log "CONFIG_$opt did not stick"; exit 1; }
done

log "compiling with $(nproc) jobs (about 30 s on an idle 2-core machine)"
# One line of progress per compiled file is enough to show it is alive.
make "${make_opts[@]}" busybox 2>&1 | grep --line-buffered -E '^  (CC|LD|AR|LINK)|error:|Error [0-9]' | awk '
  /error:|Error [0-9]/ { print > "/dev/stderr"; next }
  { n++; if (n % 50 == 0) { printf "build-busybox: %d files compiled\n", n > "/dev/stderr" } }' || true
[ -x "$build/busybox" ] || { log "build failed; run make ${make_opts[*]} busybox to see why"; exit 1; }

cp "$build/busybox" "$out.tmp$$"
mv "$out.tmp$$" "$out"
rm -rf "$build"
log "built $out in $(($(date +%s) - start)) s"
echo "$out"
