# Shared by deploy/compose/up and down.  Sourced, not run.
# shellcheck shell=bash
# shellcheck source=../images/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../images/lib.sh"
COMPOSE_FILE="$ROOT/deploy/compose/compose.yaml"

# COMPOSE: the compose command of $ENGINE.
pick_compose() {
    pick_engine
    if [[ $ENGINE == podman ]]; then
        command -v podman-compose >/dev/null || die "podman-compose not found (scripts/install-deps --deploy)"
        COMPOSE=(podman-compose -p funnelstream -f "$COMPOSE_FILE")
    else
        COMPOSE=(docker compose -f "$COMPOSE_FILE")
    fi
}

compose() {
    # podman-compose prints every podman command it runs on stdout.
    "${COMPOSE[@]}" "$@" >&2
}
