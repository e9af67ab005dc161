#!/usr/bin/env bash
# The services the backend tests run against, all local and throwaway:
# a PostgreSQL cluster and an S3-compatible server (s3s-fs), each on
# 127.0.0.1 with a free port and its data in a temporary directory.
#
#   tests/services.sh start   install what is missing, start both, print the env
#   tests/services.sh env     print `export ...` lines for the running services
#   tests/services.sh stop    stop both and delete their data
#   tests/services.sh status  say whether they run
#
# The tests read DOCSEAL_TEST_PG_URL, DOCSEAL_TEST_S3_ENDPOINT,
# DOCSEAL_TEST_S3_ACCESS_KEY, DOCSEAL_TEST_S3_SECRET_KEY and
# DOCSEAL_TEST_S3S_FS (the server binary, for tests that stop and restart it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tools are built once per machine and user, outside the checkout, so that
# neither `cargo clean` nor a fresh clone has to build them again.
TOOLS="${DOCSEAL_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/docseal/tools}"
STATE="${DOCSEAL_SERVICES_DIR:-$ROOT/.services}"
S3S_FS_VERSION=0.14.1
PG_USER=postgres

say() { echo "services: $*" >&2; }
die() { say "$*"; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a PostgreSQL server command as the cluster's owner (initdb refuses root).
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

ensure_postgres() {
    if ! pg_bin >/dev/null; then
        say "Installing PostgreSQL (Debian package postgresql)."
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    pg_bin >/dev/null || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    if [ "$(id -u)" -eq 0 ] && ! id "$PG_USER" >/dev/null 2>&1; then
        die "user $PG_USER is missing; it comes with the postgresql package"
    fi
}

s3s_fs_bin() {
    if [ -n "${S3S_FS:-}" ] && [ -x "$S3S_FS" ]; then echo "$S3S_FS"; return 0; fi
    if [ -x "$TOOLS/bin/s3s-fs" ]; then echo "$TOOLS/bin/s3s-fs"; return 0; fi
    command -v s3s-fs 2>/dev/null
}

ensure_s3s_fs() {
    if ! s3s_fs_bin >/dev/null; then
        say "Building s3s-fs $S3S_FS_VERSION into $TOOLS (once; about 8 minutes on 2 cores)."
        mkdir -p "$TOOLS"
        # A private build directory, not the project's target/: the build
        # neither waits for nor disturbs the project's cargo lock.
        env -u CARGO_TARGET_DIR nice -n 10 cargo install "s3s-fs@$S3S_FS_VERSION" \
            --features binary --locked --root "$TOOLS" >&2
    fi
    s3s_fs_bin >/dev/null || die "s3s-fs is missing after the install"
}

port_is_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
    local port i
    for i in $(seq 1 100); do
        port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if port_is_free "$port"; then echo "$port"; return 0; fi
    done
    die "no free port found"
}

wait_for_port() {
    local port=$1 what=$2 i
    for i in $(seq 1 100); do
        port_is_free "$port" || return 0
        sleep 0.1
    done
    die "$what did not start listening on 127.0.0.1:$port within 10 s"
}

is_running() {
    [ -f "$STATE/state" ] || return 1
    # shellcheck disable=SC1091
    . "$STATE/state"
    [ -n "${S3_PID:-}" ] && kill -0 "$S3_PID" 2>/dev/null || return 1
    [ -n "${PG_DIR:-}" ] && as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1
}

start_postgres() {
    local bin port dir
    bin=$(pg_bin)
    port=$(free_port)
    dir=$(mktemp -d /tmp/docseal-pg.XXXXXX)
    [ "$(id -u)" -eq 0 ] && chown "$PG_USER" "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_pg "$bin/pg_ctl" -D "$dir/data" -w -t 30 -l "$dir/server.log" \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
        start >/dev/null || { cat "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    echo "PG_DIR=$dir" >>"$STATE/state"
    echo "PG_PORT=$port" >>"$STATE/state"
}

start_s3() {
    local bin port dir key secret
    bin=$(s3s_fs_bin)
    port=$(free_port)
    dir=$(mktemp -d /tmp/docseal-s3.XXXXXX)
    mkdir -p "$dir/data"
    key="docseal-test-$RANDOM$RANDOM"
    secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    nohup "$bin" --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" \
        "$dir/data" >"$dir/server.log" 2>&1 &
    local pid=$!
    {
        echo "S3_DIR=$dir"
        echo "S3_PORT=$port"
        echo "S3_PID=$pid"
        echo "S3_KEY=$key"
        echo "S3_SECRET=$secret"
        echo "S3_BIN=$bin"
    } >>"$STATE/state"
    wait_for_port "$port" "s3s-fs" || { cat "$dir/server.log" >&2; exit 1; }
}

print_env() {
    # shellcheck disable=SC1091
    . "$STATE/state"
    cat <<EOF
export DOCSEAL_TEST_PG_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
export DOCSEAL_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export DOCSEAL_TEST_S3_ACCESS_KEY=$S3_KEY
export DOCSEAL_TEST_S3_SECRET_KEY=$S3_SECRET
export DOCSEAL_TEST_S3S_FS=$S3_BIN
EOF
}

cmd_start() {
    ensure_postgres
    ensure_s3s_fs
    if is_running; then
        say "Already running."
    else
        cmd_stop 2>/dev/null || true
        mkdir -p "$STATE"
        : >"$STATE/state"
        local t0=$SECONDS
        start_postgres
        start_s3
        say "PostgreSQL and s3s-fs are up ($((SECONDS - t0)) s)."
    fi
    print_env
}

cmd_stop() {
    [ -f "$STATE/state" ] || return 0
    # shellcheck disable=SC1091
    . "$STATE/state"
    if [ -n "${S3_PID:-}" ] && kill -0 "$S3_PID" 2>/dev/null; then
        kill "$S3_PID" 2>/dev/null || true
        wait "$S3_PID" 2>/dev/null || true
    fi
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        as_pg "$(pg_bin)/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
    [ -n "${S3_DIR:-}" ] && rm -rf "$S3_DIR"
    rm -f "$STATE/state"
    rmdir "$STATE" 2>/dev/null || true
    say "Stopped."
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    env)
        is_running || die "not running; start them with: tests/services.sh start"
        print_env
        ;;
    status)
        if is_running; then say "Running."; else say "Not running."; exit 1; fi
        ;;
    install)
        ensure_postgres
        ensure_s3s_fs
        ;;
    *)
        echo "usage: $0 start|stop|env|status|install" >&2
        exit 2
        ;;
esac
