#!/usr/bin/env bash
# Builds the sandbox images: one base per Debian family and one image per distinct `image` of
# languages.json (a language version names its image).
#
#   bash sandbox-images/build.sh                     # everything
#   bash sandbox-images/build.sh python              # the bookworm base (if needed) and sandbox-python
#   bash sandbox-images/build.sh trixie/python       # both bases (if needed) and sandbox-trixie-python
#   bash sandbox-images/build.sh trixie              # the trixie base and every trixie image
#
# Families: an image id without a slash (`python`) is built on muscode/sandbox-base (Debian
# bookworm, sandbox-images/<id>/Dockerfile); `trixie/<name>` on muscode/sandbox-trixie-base
# (Debian trixie, sandbox-images/trixie/<name>/Dockerfile). The tag is sandbox-<id with / as ->.
#
# Layers: the bases hold Debian and the sandbox user; <image>:toolchain is the base plus the
# image's Dockerfile, labelled with the versions its toolchains print; <image>:latest is the
# toolchain plus one thin layer with /opt/muscode copied from muscode/sandbox-launcher (the
# static launcher, compiled once, and the prepared entry points) and the launcher's protocol
# label. So a launcher change rebuilds that one layer per image, in seconds, never a toolchain.
#
# Incremental: every image carries the label dev.muscode.hash, a hash of its build inputs. An
# image whose label already matches is left alone, so a run with nothing changed only hashes a
# few files and inspects a few images.
#
# Parallel: language images build MUSCODE_IMAGE_JOBS at a time (default 3), each into its own
# log (MUSCODE_IMAGE_LOG_DIR, default /tmp/muscode-images-<repo>); a failed image is named with
# the end of its log, the others go on, and the script exits non-zero at the end.
#
# Every image (bases too) ends with a layer that clears every setuid and setgid bit, after all
# package installs: nothing in a sandbox can gain privileges through an executable file.
#
# An image folder with a package-lock.json gets its npm packages (npm ci --omit=dev, no scripts)
# into node_modules/ of a copy of the folder used as the build context: the lock file pins them,
# and it is part of the image's hash.
#
# No registry is needed: when a debian:<suite>-slim is not present and cannot be pulled, it is
# made with debootstrap from the host's Debian mirror and imported (make-debian.sh).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest="$here/languages.json"

# Debian's Docker client matches the engine; a newer client elsewhere on PATH may not.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
export DOCKER
# The classic builder uses local images as they are and never asks a registry about FROM lines.
export DOCKER_BUILDKIT=0

# The repository every image of this build is tagged in (MUSCODE_IMAGE_REPO, default muscode):
# a checkout that changes the launcher can build and test its own images beside the shared ones
# (agents read AGENT_IMAGE_REPO).
repo=${MUSCODE_IMAGE_REPO:-muscode}
[[ "$repo" =~ ^[a-z0-9][a-z0-9._/-]*$ ]] || { printf '[images] error: bad MUSCODE_IMAGE_REPO %s\n' "$repo" >&2; exit 1; }
jobs=${MUSCODE_IMAGE_JOBS:-3}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || { printf '[images] error: bad MUSCODE_IMAGE_JOBS %s\n' "$jobs" >&2; exit 1; }
logdir=${MUSCODE_IMAGE_LOG_DIR:-/tmp/muscode-images-${repo//\//-}}
# Bump when the way images are made changes in a way the input hashes cannot see.
# 2: the setid-stripping final layer; families. 3: the launcher in a layer of its own on top.
recipe=3

# The families, each a Debian suite with a base image of its own.
declare -A family_suite=([bookworm]=bookworm [trixie]=trixie)
declare -A family_base=([bookworm]=base [trixie]=trixie/base)

log() { printf '[images] %s\n' "$*" >&2; }
die() {
  printf '[images] error: %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null || die "node is needed to read languages.json"
"$DOCKER" info >/dev/null 2>&1 || die "cannot talk to the Docker daemon with $DOCKER"
"$DOCKER" info --format '{{json .Runtimes}}' | grep -q '"runsc"' ||
  die "the Docker daemon has no runsc runtime (see deploy/local/provision.sh)"
mkdir -p "$logdir"

# Builds of several checkouts may share one Docker Engine. Each holds a shared lock for its whole
# run; the prune at the end needs it exclusively and is skipped while another build runs: the
# layers of a build under way are untagged images too (and inherit the base's labels).
exec 9>"${TMPDIR:-/tmp}/muscode-images.lock"
flock -s 9

# --- languages.json -------------------------------------------------------------------------
# One node process reads the manifest and answers with shell-safe lines:
#   image <id> <family> <sha256 of what the image's labels depend on>
#   version <id> <langId> <argv as a JSON array>
manifest_info=$(
  node --input-type=module - "$manifest" <<'EOF'
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
const file = process.argv[2];
let doc;
try {
  doc = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.error(`[images] error: cannot read ${file}: ${e.message}`);
  process.exit(1);
}
const fail = (msg) => {
  console.error(`[images] error: ${file}: ${msg}`);
  process.exit(1);
};
const families = new Set(["bookworm", "trixie"]);
if (!Array.isArray(doc.languages)) fail("no languages array");
const byImage = new Map();
for (const lang of doc.languages) {
  const { id, versions } = lang ?? {};
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(id)) fail(`bad language id ${JSON.stringify(id)}`);
  if (!Array.isArray(versions) || versions.length === 0) fail(`language ${id}: no versions`);
  for (const v of versions) {
    const image = v?.image;
    if (typeof image !== "string" || !/^([a-z0-9]+\/)?[a-z0-9][a-z0-9_.-]*$/.test(image) || /(^|\/)base$/.test(image))
      fail(`language ${id}: bad image ${JSON.stringify(image)}`);
    const family = image.includes("/") ? image.split("/")[0] : "bookworm";
    if (!families.has(family)) fail(`language ${id}: image ${image} is of no known family (${[...families].join(", ")})`);
    const versionCommand = v.versionCommand ?? lang.versionCommand;
    if (!Array.isArray(versionCommand) || versionCommand.length === 0 || !versionCommand.every((a) => typeof a === "string"))
      fail(`language ${id} (${image}): versionCommand must be a non-empty array of strings`);
    if (!byImage.has(image)) byImage.set(image, { family, langs: [] });
    const entry = byImage.get(image);
    if (entry.langs.some((l) => l.id === id)) fail(`language ${id} names image ${image} twice`);
    entry.langs.push({ id, versionCommand });
  }
}
for (const [image, { family, langs }] of byImage) {
  // An image depends on its languages only through the labels the build writes: their ids and
  // version commands. Commands, limits and self-tests can change without a rebuild.
  const hash = createHash("sha256")
    .update(JSON.stringify(langs.map((l) => [l.id, l.versionCommand])))
    .digest("hex");
  console.log(`image ${image} ${family} ${hash}`);
  for (const l of langs) console.log(`version ${image} ${l.id} ${JSON.stringify(l.versionCommand)}`);
}
EOF
) || die "cannot read $manifest"

all_images=()
declare -A manifest_hash=() image_family=()
while read -r kind image family hash; do
  if [ "$kind" = image ]; then
    all_images+=("$image")
    image_family[$image]=$family
    manifest_hash[$image]=$hash
  fi
done <<<"$manifest_info"

tag_of() { printf '%s/sandbox-%s' "$repo" "${1//\//-}"; }

# --- which images -----------------------------------------------------------------------------
declare -A want_family=()
wanted=()
if [ $# -eq 0 ]; then
  wanted=("${all_images[@]}")
  for f in "${!family_suite[@]}"; do want_family[$f]=1; done
else
  for name in "$@"; do
    name=${name#"$repo"/sandbox-}
    name=${name%:latest}
    if [ -n "${family_suite[$name]:-}" ]; then
      want_family[$name]=1
      for image in "${all_images[@]}"; do [ "${image_family[$image]}" = "$name" ] && wanted+=("$image"); done
    elif [ "$name" = base ]; then
      want_family[bookworm]=1
    elif [[ "$name" == */base ]] && [ -n "${family_suite[${name%/base}]:-}" ]; then
      want_family[${name%/base}]=1
    elif [ -n "${manifest_hash[$name]:-}" ]; then
      wanted+=("$name")
    else
      die "unknown image '$name' (known: ${!family_suite[*]} base trixie/base ${all_images[*]})"
    fi
  done
fi
for image in "${wanted[@]}"; do want_family[${image_family[$image]}]=1; done
# The launcher comes from the bookworm base, so every family needs it.
[ ${#want_family[@]} -gt 0 ] && want_family[bookworm]=1

# --- helpers --------------------------------------------------------------------------------
image_id() { "$DOCKER" image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
image_label() { "$DOCKER" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# Hash of the files under the given paths (relative to sandbox-images/): names and contents.
hash_files() {
  (
    cd "$here"
    for p in "$@"; do [ -e "$p" ] || die "missing build input sandbox-images/$p"; done
    find "$@" -type f ! -name '*~' ! -name '.*.swp' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# docker build into the current log (stdout), failing with the step that failed.
build() {
  local what=$1
  shift
  if ! "$DOCKER" build --network host "$@"; then
    printf '[images] building %s failed\n' "$what"
    return 1
  fi
}

# The last layer of every image: no setuid/setgid file anywhere (after all package installs),
# the labels, and the sandbox user back as the default user.
finish() {
  local scratch=$1 tag=$2
  shift 2
  printf '%s\n' "FROM $scratch" 'USER root' \
    'RUN find / -xdev -type f -perm /6000 -exec chmod ug-s {} + && ! find / -xdev -type f -perm /6000 | grep -q .' \
    'USER 1000:1000' |
    "$DOCKER" build "$@" -t "$tag" - || { printf '[images] finishing %s failed\n' "$tag"; return 1; }
}

# --- launcher and bases ---------------------------------------------------------------------
for f in "${!want_family[@]}"; do bash "$here/make-debian.sh" "${family_suite[$f]}"; done
bash "$here/make-debian.sh" bookworm

# An image built from a Dockerfile folder, unless its label says it is up to date; the setid
# strip (finish) for images that are a filesystem.
#   build_image <tag> <hash> <log name> <finish: 1|0> <docker build args…>
build_image() {
  local tag=$1 hash=$2 name=$3 strip=$4
  shift 4
  if [ "$(image_label "$tag" dev.muscode.hash)" = "$hash" ]; then
    log "$tag is up to date"
    return 0
  fi
  log "building $tag (log: $logdir/$name.log)"
  local scratch=${tag%:*}:building
  if ! (
    if [ "$strip" = 1 ]; then
      build "$tag" --label dev.muscode.hash=pending -t "$scratch" "$@" &&
        finish "$scratch" "$tag" --label "dev.muscode.hash=$hash"
    else
      build "$tag" --label "dev.muscode.hash=$hash" -t "$tag" "$@"
    fi
  ) >"$logdir/$name.log" 2>&1; then
    tail -n 40 "$logdir/$name.log" >&2
    die "building $tag failed (log: $logdir/$name.log)"
  fi
  "$DOCKER" image rm "$scratch" >/dev/null 2>&1 || true
  log "built $tag"
}

# The launcher: compiled once (static) on bookworm; its builder stage keeps a tag of its own so
# it stays the build cache for the next launcher change.
launcher_image=$(tag_of launcher):latest
launcher_hash=$(
  {
    echo "recipe $recipe"
    echo "from $(image_id debian:bookworm-slim)"
    hash_files launcher/Dockerfile launcher/.dockerignore launcher/src launcher/prepared
  } | sha256sum | cut -d' ' -f1
)
if [ "$(image_label "$launcher_image" dev.muscode.hash)" != "$launcher_hash" ]; then
  (build "$launcher_image (builder stage)" --target builder --label dev.muscode.image=launcher-builder \
    -t "$(tag_of launcher):builder" "$here/launcher") >"$logdir/launcher-builder.log" 2>&1 || {
    tail -n 40 "$logdir/launcher-builder.log" >&2
    die "building the launcher failed (log: $logdir/launcher-builder.log)"
  }
fi
build_image "$launcher_image" "$launcher_hash" launcher 0 --label dev.muscode.image=launcher "$here/launcher"
launcher_id=$(image_id "$launcher_image")
launcher_version=$(image_label "$launcher_image" dev.muscode.launcher)
[ -n "$launcher_version" ] || die "$launcher_image has no dev.muscode.launcher label"

for f in "${!want_family[@]}"; do
  base=${family_base[$f]}
  base_hash=$(
    {
      echo "recipe $recipe"
      echo "from $(image_id "debian:${family_suite[$f]}-slim")"
      hash_files "$base"
    } | sha256sum | cut -d' ' -f1
  )
  build_image "$(tag_of "$base"):latest" "$base_hash" "${base//\//-}" 1 \
    --label "dev.muscode.image=$base" "$here/$base"
done

# --- languages ------------------------------------------------------------------------------
# One language image, with all its output in its own log. A language image is built FROM its
# family's base as it is now: its hash names that image's id, so a base rebuilt by anyone
# (another checkout, another launcher) rebuilds the images on top of it.
build_language() {
  local image=$1 base_image=$2 base_id=$3
  local tag toolchain scratch hash final_hash ctx labels version
  tag=$(tag_of "$image"):latest
  toolchain=$(tag_of "$image"):toolchain
  scratch=$(tag_of "$image"):building
  [ -f "$here/$image/Dockerfile" ] || { echo "no Dockerfile for image '$image' ($here/$image/Dockerfile)"; return 1; }
  hash=$(
    {
      echo "recipe $recipe"
      echo "base $base_id"
      echo "manifest ${manifest_hash[$image]}"
      hash_files "$image"
    } | sha256sum | cut -d' ' -f1
  )
  if [ "$(image_label "$toolchain" dev.muscode.hash)" != "$hash" ]; then
    build_toolchain || return 1
  fi
  # The last layer: the launcher on top of the toolchain.
  final_hash=$(printf 'toolchain %s\nlauncher %s\n' "$(image_id "$toolchain")" "$launcher_id" | sha256sum | cut -d' ' -f1)
  if [ "$(image_label "$tag" dev.muscode.hash)" = "$final_hash" ]; then
    echo "up to date"
    return 0
  fi
  printf '%s\n' "FROM $toolchain" "COPY --from=$launcher_image /opt/muscode/ /opt/muscode/" |
    "$DOCKER" build --label "dev.muscode.hash=$final_hash" --label "dev.muscode.launcher=$launcher_version" \
      -t "$tag" - || { echo "adding the launcher to $tag failed"; return 1; }
  echo "built"
}

# The toolchain image of build_language's image, labelled with its versions.
build_toolchain() {
  ctx=$here/$image
  if [ -f "$ctx/package-lock.json" ]; then
    ctx=$(mktemp -d "${TMPDIR:-/tmp}/muscode-image-ctx.XXXXXX")
    # shellcheck disable=SC2064 # $ctx is expanded now, on purpose
    trap "rm -rf '$ctx'" EXIT
    cp -a "$here/$image/." "$ctx/"
    npm ci --prefix "$ctx" --omit=dev --ignore-scripts --no-audit --no-fund || {
      echo "npm ci for $image failed"
      return 1
    }
  fi

  # Build under a scratch tag; the real tag moves only once the versions are known and labelled,
  # so a half-built image never carries a hash that would make the next run skip it.
  build "$tag" --label dev.muscode.hash=pending --label "dev.muscode.image=$image" \
    --build-arg "BASE=$base_image" -t "$scratch" "$ctx" || return 1

  labels=(--label "dev.muscode.image=$image" --label "dev.muscode.hash=$hash")
  local kind img lang argv_json argv
  while read -r kind img lang argv_json; do
    [ "$kind" = version ] && [ "$img" = "$image" ] || continue
    mapfile -d '' -t argv < <(node -e 'for (const a of JSON.parse(process.argv[1])) process.stdout.write(a + "\0")' "$argv_json")
    # The entrypoint is the launcher, which speaks frames on stdin; the version command runs
    # without it, but still under gVisor.
    if ! version=$("$DOCKER" run --rm --runtime=runsc --network none --entrypoint "${argv[0]}" \
      "$scratch" "${argv[@]:1}" 2>&1); then
      printf '%s\n' "$version"
      echo "$lang: the version command ${argv_json} failed in $scratch"
      return 1
    fi
    version=$(printf '%s' "$version" | tr -d '\r' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
    if [ -z "$version" ] || [ "$(printf '%s\n' "$version" | wc -l)" -ne 1 ]; then
      echo "$lang: the version command ${argv_json} printed '$version', not one line"
      return 1
    fi
    echo "version $lang $version"
    labels+=(--label "dev.muscode.version.$lang=$version")
  done <<<"$manifest_info"

  finish "$scratch" "$toolchain" "${labels[@]}" || return 1
  "$DOCKER" image rm "$scratch" >/dev/null 2>&1 || true
}

declare -A family_base_id=()
for f in "${!want_family[@]}"; do
  family_base_id[$f]=$(image_id "$(tag_of "${family_base[$f]}"):latest") ||
    die "$(tag_of "${family_base[$f]}"):latest is missing"
done

declare -A running=() started_at=()
failed=()
# Waits for one running build, reports it, and forgets it.
reap_one() {
  local pid image rc=0 log
  wait -n -p pid "${!running[@]}" || rc=$?
  image=${running[$pid]}
  unset "running[$pid]"
  log="$logdir/${image//\//-}.log"
  if [ "$rc" -ne 0 ]; then
    failed+=("$image")
    log "FAILED $(tag_of "$image") after $((SECONDS - started_at[$image])) s; the end of $log:"
    tail -n 30 "$log" | sed 's/^/[images]   | /' >&2
  elif grep -qx 'up to date' "$log"; then
    log "$(tag_of "$image"):latest is up to date"
  else
    grep '^version ' "$log" | sed "s/^version /[images] /" >&2 || true
    log "built $(tag_of "$image"):latest in $((SECONDS - started_at[$image])) s"
  fi
}

for image in "${wanted[@]}"; do
  while [ ${#running[@]} -ge "$jobs" ]; do reap_one; done
  f=${image_family[$image]}
  log="$logdir/${image//\//-}.log"
  build_language "$image" "$(tag_of "${family_base[$f]}"):latest" "${family_base_id[$f]}" >"$log" 2>&1 &
  running[$!]=$image
  started_at[$image]=$SECONDS
done
while [ ${#running[@]} -gt 0 ]; do reap_one; done

# Older builds that lost their tag to the steps above (never images that are still tagged).
if flock -x -n 9; then
  "$DOCKER" image prune -f --filter "label=dev.muscode.image" >/dev/null 2>&1 || true
fi
[ ${#failed[@]} -eq 0 ] || die "${#failed[@]} image(s) failed: ${failed[*]} (logs in $logdir)"
log "done"
