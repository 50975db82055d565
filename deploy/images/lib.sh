# Shared by deploy/images/* and deploy/compose/*: which container engine,
# where the caches are.  Sourced, not run.
# shellcheck shell=bash

IMAGES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$IMAGES_DIR/../.." && pwd)"
CACHE="${FUNNEL_CACHE_DIR:-$HOME/.cache/funnelstream}"
KAFKA_HOME="${FUNNEL_KAFKA_HOME:-$CACHE/kafka-3.9.1}"
VERSION="$(sed -n 's/^project(funnelstream VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")"

# Images, and where a registry is reachable the upstream ones.
FUNNEL_IMAGE="${FUNNEL_IMAGE:-localhost/funnelstream:$VERSION}"
LOCAL_BASE_IMAGE=localhost/bookworm-base
LOCAL_KAFKA_IMAGE=localhost/funnelstream-kafka:3.9.1
LOCAL_REDIS_IMAGE=localhost/funnelstream-redis:7
UPSTREAM_BASE_IMAGE=docker.io/library/debian:bookworm-slim
UPSTREAM_KAFKA_IMAGE=docker.io/apache/kafka:3.9.1
UPSTREAM_REDIS_IMAGE=docker.io/library/redis:7

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# ENGINE: podman (preferred: tested) or docker when its daemon answers.
pick_engine() {
    if [[ -n "${FUNNEL_ENGINE:-}" ]]; then
        ENGINE=$FUNNEL_ENGINE
    elif command -v podman >/dev/null; then
        ENGINE=podman
    elif command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; then
        ENGINE=docker
    else
        die "neither podman nor a running docker found (scripts/install-deps --deploy installs podman)"
    fi
    if [[ $ENGINE == podman && -z "${CONTAINERS_CONF:-}" ]]; then
        export CONTAINERS_CONF="$IMAGES_DIR/containers.conf"
    fi
}

image_exists() {
    if [[ $ENGINE == podman ]]; then
        podman image exists "$1"
    else
        docker image inspect "$1" >/dev/null 2>&1
    fi
}

# True when $1 is present or can be pulled within 60 s (no registry: false).
have_or_pull() {
    image_exists "$1" && return 0
    [[ -n "${FUNNEL_OFFLINE:-}" ]] && return 1
    timeout 60 "$ENGINE" pull -q "$1" >/dev/null 2>&1
}
