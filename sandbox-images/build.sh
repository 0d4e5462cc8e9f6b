#!/usr/bin/env bash
# Builds the sandbox images: muscode/sandbox-base (the launcher on Debian bookworm-slim) and one
# muscode/sandbox-<image> per distinct `image` of languages.json.
#
#   bash sandbox-images/build.sh            # everything
#   bash sandbox-images/build.sh python     # the base (if needed) and muscode/sandbox-python
#
# Incremental: every image carries the label dev.muscode.hash, a hash of its build inputs. An
# image whose label already matches is left alone, so a run with nothing changed only hashes a
# few files and inspects a few images.
#
# No registry is needed: when debian:bookworm-slim is not present and cannot be pulled, it is
# made with debootstrap from the host's Debian mirror and imported.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest="$here/languages.json"

# Debian's Docker client matches the engine; a newer client elsewhere on PATH may not.
if [ -z "${DOCKER:-}" ]; then
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=docker; fi
fi
# The classic builder uses local images as they are and never asks a registry about FROM lines.
export DOCKER_BUILDKIT=0

base_from=debian:bookworm-slim
# The repository every image of this build is tagged in (MUSCODE_IMAGE_REPO, default muscode):
# a checkout that changes the launcher can build and test its own images beside the shared ones
# (agents read AGENT_IMAGE_REPO).
repo=${MUSCODE_IMAGE_REPO:-muscode}
[[ "$repo" =~ ^[a-z0-9][a-z0-9._/-]*$ ]] || { printf '[images] error: bad MUSCODE_IMAGE_REPO %s\n' "$repo" >&2; exit 1; }
base_image=$repo/sandbox-base:latest
# Bump when the way images are made changes in a way the input hashes cannot see.
recipe=1

log() { printf '[images] %s\n' "$*" >&2; }
die() {
  printf '[images] error: %s\n' "$*" >&2
  exit 1
}

command -v node >/dev/null || die "node is needed to read languages.json"
"$DOCKER" info >/dev/null 2>&1 || die "cannot talk to the Docker daemon with $DOCKER"
"$DOCKER" info --format '{{json .Runtimes}}' | grep -q '"runsc"' ||
  die "the Docker daemon has no runsc runtime (see deploy/local/provision.sh)"

# Builds of several checkouts may share one Docker Engine. Each holds a shared lock for its whole
# run; the prune at the end needs it exclusively and is skipped while another build runs: the
# layers of a build under way are untagged images too (and inherit the base's labels).
exec 9>"${TMPDIR:-/tmp}/muscode-images.lock"
flock -s 9

# --- languages.json -------------------------------------------------------------------------
# One node process reads the manifest and answers with shell-safe lines:
#   image <name> <sha256 of its language entries>
#   version <image> <langId> <argv as a JSON array>
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
if (!Array.isArray(doc.languages)) fail("no languages array");
const byImage = new Map();
for (const lang of doc.languages) {
  const { id, image, versionCommand } = lang ?? {};
  if (typeof id !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(id)) fail(`bad language id ${JSON.stringify(id)}`);
  if (typeof image !== "string" || !/^[a-z0-9][a-z0-9_.-]*$/.test(image) || image === "base")
    fail(`language ${id}: bad image ${JSON.stringify(image)}`);
  if (!Array.isArray(versionCommand) || versionCommand.length === 0 || !versionCommand.every((a) => typeof a === "string"))
    fail(`language ${id}: versionCommand must be a non-empty array of strings`);
  if (!byImage.has(image)) byImage.set(image, []);
  byImage.get(image).push(lang);
}
for (const [image, langs] of byImage) {
  // An image depends on its languages only through the labels the build writes: their ids and
  // version commands. Commands, limits and self-tests can change without a rebuild.
  const hash = createHash("sha256")
    .update(JSON.stringify(langs.map((l) => [l.id, l.versionCommand])))
    .digest("hex");
  console.log(`image ${image} ${hash}`);
  for (const l of langs) console.log(`version ${image} ${l.id} ${JSON.stringify(l.versionCommand)}`);
}
EOF
) || die "cannot read $manifest"

all_images=()
declare -A manifest_hash=()
while read -r kind image rest; do
  if [ "$kind" = image ]; then
    all_images+=("$image")
    manifest_hash[$image]=$rest
  fi
done <<<"$manifest_info"

# --- which images -----------------------------------------------------------------------------
want_base=0
wanted=()
if [ $# -eq 0 ]; then
  want_base=1
  wanted=("${all_images[@]}")
else
  for name in "$@"; do
    name=${name#"$repo"/sandbox-}
    if [ "$name" = base ]; then
      want_base=1
    elif [ -n "${manifest_hash[$name]:-}" ]; then
      wanted+=("$name")
    else
      die "unknown image '$name' (known: base ${all_images[*]})"
    fi
  done
fi
# Every language image is built on the base.
[ ${#wanted[@]} -gt 0 ] && want_base=1

# --- helpers --------------------------------------------------------------------------------
image_exists() { "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
image_label() { "$DOCKER" image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }

# Hash of the files under the given paths (relative to sandbox-images/): names and contents.
hash_files() {
  (
    cd "$here"
    for p in "$@"; do [ -e "$p" ] || die "missing build input sandbox-images/$p"; done
    find "$@" -type f ! -name '*~' ! -name '.*.swp' -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
  ) | sha256sum | cut -d' ' -f1
}

# docker build, quiet unless it fails (then its log goes to stderr).
build() {
  local what=$1
  shift
  local out
  if ! out=$("$DOCKER" build --network host "$@" 2>&1); then
    printf '%s\n' "$out" | tail -n 40 >&2
    die "building $what failed"
  fi
}

# --- base -----------------------------------------------------------------------------------
bash "$here/make-debian.sh" bookworm
debian_id=$("$DOCKER" image inspect --format '{{.Id}}' "$base_from")
base_hash=$(
  {
    echo "recipe $recipe"
    echo "from $debian_id"
    hash_files base launcher/src launcher/prepared .dockerignore
  } | sha256sum | cut -d' ' -f1
)

if [ "$want_base" = 1 ]; then
  if [ "$(image_label "$base_image" dev.muscode.hash)" = "$base_hash" ]; then
    log "$base_image is up to date"
  else
    log "building $base_image"
    # The compiler stage gets a tag of its own: it stays the build cache for the next launcher
    # change, and an older one becomes an untagged labelled image that the prune below removes.
    build "$base_image (launcher stage)" -f "$here/base/Dockerfile" --target launcher \
      --label dev.muscode.image=base-builder -t "$repo/sandbox-base:builder" "$here"
    build "$base_image" -f "$here/base/Dockerfile" \
      --label "dev.muscode.hash=$base_hash" --label dev.muscode.image=base \
      -t "$base_image" "$here"
    log "built $base_image"
  fi
fi

# --- languages ------------------------------------------------------------------------------
# A language image is built FROM the base image as it is now: its hash names that image's id, so
# a base rebuilt by anyone (another checkout, another launcher) rebuilds the images on top of it.
base_id=""
if [ ${#wanted[@]} -gt 0 ]; then
  base_id=$("$DOCKER" image inspect --format '{{.Id}}' "$base_image" 2>/dev/null) ||
    die "$base_image is missing"
fi
for image in "${wanted[@]}"; do
  tag="$repo/sandbox-$image:latest"
  [ -f "$here/$image/Dockerfile" ] || die "no Dockerfile for image '$image' ($here/$image/Dockerfile)"
  hash=$(
    {
      echo "recipe $recipe"
      echo "base $base_id"
      echo "manifest ${manifest_hash[$image]}"
      hash_files "$image"
    } | sha256sum | cut -d' ' -f1
  )
  if [ "$(image_label "$tag" dev.muscode.hash)" = "$hash" ]; then
    log "$tag is up to date"
    continue
  fi

  # Build under a scratch tag; the real tag moves only once the versions are known and labelled,
  # so a half-built image never carries a hash that would make the next run skip it.
  scratch="$repo/sandbox-$image:building"
  log "building $tag"
  build "$tag" --label dev.muscode.hash=pending --label "dev.muscode.image=$image" \
    --build-arg "BASE=$base_image" \
    -t "$scratch" "$here/$image"

  labels=(--label "dev.muscode.image=$image" --label "dev.muscode.hash=$hash")
  while read -r kind img lang argv_json; do
    [ "$kind" = version ] && [ "$img" = "$image" ] || continue
    mapfile -d '' -t argv < <(node -e 'for (const a of JSON.parse(process.argv[1])) process.stdout.write(a + "\0")' "$argv_json")
    # The entrypoint is the launcher, which speaks frames on stdin; the version command runs
    # without it, but still under gVisor.
    if ! version=$("$DOCKER" run --rm --runtime=runsc --network none --entrypoint "${argv[0]}" \
      "$scratch" "${argv[@]:1}" 2>&1); then
      printf '%s\n' "$version" >&2
      die "$lang: the version command ${argv_json} failed in $scratch"
    fi
    version=$(printf '%s' "$version" | tr -d '\r' | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')
    if [ -z "$version" ] || [ "$(printf '%s\n' "$version" | wc -l)" -ne 1 ]; then
      die "$lang: the version command ${argv_json} printed '$version', not one line"
    fi
    log "$lang $version"
    labels+=(--label "dev.muscode.version.$lang=$version")
  done <<<"$manifest_info"

  if ! out=$(printf 'FROM %s\n' "$scratch" | "$DOCKER" build "${labels[@]}" -t "$tag" - 2>&1); then
    printf '%s\n' "$out" >&2
    die "labelling $tag failed"
  fi
  "$DOCKER" image rm "$scratch" >/dev/null 2>&1 || true
  log "built $tag"
done

# Older builds that lost their tag to the steps above (never images that are still tagged).
if flock -x -n 9; then
  "$DOCKER" image prune -f --filter "label=dev.muscode.image" >/dev/null 2>&1 || true
fi
log "done"
