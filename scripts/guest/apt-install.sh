# Sourced by scripts/setup.sh and scripts/build-guest.sh: installs the Debian packages named
# as arguments that are not installed yet (apt-get, as root or through sudo). Idempotent.
# Progress goes to stderr, prefixed with $APT_WHO.
ensure_debian_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  echo "${APT_WHO:-setup}: installing Debian packages: ${missing[*]}" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
