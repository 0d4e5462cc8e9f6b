#!/usr/bin/env bash
# Makes the image debian:<suite>-slim when it is not here and cannot be pulled: debootstrap
# --variant=minbase from the host's Debian mirror, trimmed like the official slim image, with apt
# pointed at the same mirrors (updates and security), then `docker import`.
#
#   bash sandbox-images/make-debian.sh bookworm     # debian:bookworm-slim
#   bash sandbox-images/make-debian.sh trixie       # debian:trixie-slim (same archive)
#
# Idempotent: an existing image is left alone. MUSCODE_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

suite=${1:?usage: make-debian.sh <suite>}
[[ "$suite" =~ ^[a-z]+$ ]] || { echo "make-debian.sh: bad suite '$suite'" >&2; exit 1; }
base_from=debian:$suite-slim

if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
log() { printf '[images] %s\n' "$*" >&2; }
die() {
  printf '[images] error: %s\n' "$*" >&2
  exit 1
}
image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }

# The Debian mirror the host itself uses for a suite (one-line or deb822 sources).
host_mirror() {
  local suite=$1 found=""
  shopt -s nullglob
  local lists=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list)
  local sources=(/etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  if [ ${#lists[@]} -gt 0 ]; then
    found=$(awk -v s="$suite" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        if ($(i + 1) == s) { print $i; exit }
      }' "${lists[@]}" 2>/dev/null || true)
  fi
  if [ -z "$found" ] && [ ${#sources[@]} -gt 0 ]; then
    found=$(awk -v s="$suite" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && uris != "" && enabled != "no") {
          split(uris, u, " "); print u[1]; done = 1; exit
        }
        types = suites = uris = enabled = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      { key = tolower($1); $1 = ""; sub(/^ +/, ""); val = $0 }
      key == "types:" { types = val }
      key == "suites:" { suites = val }
      key == "uris:" { uris = val }
      key == "enabled:" { enabled = tolower(val) }
      END { if (!done) flush() }' "${sources[@]}" 2>/dev/null || true)
  fi
  printf '%s\n' "${found%/}"
}

ensure_debian() {
  if image_exists "$base_from"; then
    return
  fi
  log "$base_from is not here; trying to pull it"
  if timeout 30 "$DOCKER" pull -q "$base_from" >/dev/null 2>&1 && image_exists "$base_from"; then
    log "pulled $base_from"
    return
  fi
  command -v debootstrap >/dev/null || die "cannot pull $base_from and debootstrap is not installed"
  local mirror security
  mirror=${MUSCODE_DEBIAN_MIRROR:-$(host_mirror "$suite")}
  # A suite the host does not use (trixie on a bookworm host) comes from the same archive.
  mirror=${mirror:-$(host_mirror bookworm)}
  mirror=${mirror:-http://deb.debian.org/debian}
  security=$(host_mirror "$suite-security")
  security=${security:-$(host_mirror bookworm-security)}
  security=${security:-http://deb.debian.org/debian-security}
  log "making $base_from with debootstrap from $mirror (takes a few minutes)"

  local root
  root=$(mktemp -d /var/tmp/muscode-debootstrap.XXXXXX)
  # shellcheck disable=SC2064 # expand $root now: it is local
  trap "rm -rf '$root'" EXIT
  if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$root.log" 2>&1; then
    tail -n 20 "$root.log" >&2 || true
    rm -f "$root.log"
    die "debootstrap failed"
  fi
  rm -f "$root.log"

  # Trim it the way the official slim image is trimmed, and point apt at the same mirrors
  # (with updates and security) the host uses.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
# Images have no use for documentation or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
EOF
  cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$root/etc/apt/apt.conf.d/docker-no-languages"
  printf 'APT::AutoRemove::SuggestsImportant "false";\n' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "${root:?}"/usr/share/{info,man,groff,linda,lintian,locale}/* \
    "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/apt/*.bin \
    "${root:?}"/var/cache/apt/archives/*.deb "${root:?}"/var/log/*.log \
    "${root:?}"/var/log/apt/* "${root:?}"/dev/* "${root:?}"/tmp/* "${root:?}"/run/*
  : >"$root/etc/machine-id"

  log "importing $base_from"
  tar --numeric-owner -C "$root" -c . |
    "$DOCKER" import -c 'CMD ["bash"]' -m "debootstrap --variant=minbase $suite $mirror" - "$base_from" >/dev/null ||
    die "docker import failed"
  rm -rf "$root"
  trap - EXIT
  log "made $base_from"
}


ensure_debian
