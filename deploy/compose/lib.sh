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

# Runs the compose command with its output in $COMPOSE_LOG (shown when it
# fails): podman-compose prints every podman command it runs, and recreates
# dependencies despite --no-deps ("name already in use", harmless).
compose() {
    mkdir -p "$CACHE"
    COMPOSE_LOG="$CACHE/compose.log"
    printf '\n$ %s\n' "${COMPOSE[*]} $*" >>"$COMPOSE_LOG"
    if ! "${COMPOSE[@]}" "$@" >>"$COMPOSE_LOG" 2>&1; then
        tail -n 40 "$COMPOSE_LOG" >&2
        die "${COMPOSE[*]} $* failed (log: $COMPOSE_LOG)"
    fi
}
