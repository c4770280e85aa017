#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the gallery tests: Debian's binaries, a data folder in a temp
# directory, trust authentication on a loopback port only, owned by an unprivileged user.
#   scripts/postgres-throwaway.sh start DIR PORT   # prints the connection string on stdout
#   scripts/postgres-throwaway.sh stop DIR
set -euo pipefail
cmd="${1:?start or stop}"
dir="${2:?data folder}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bin/initdb" ] || { echo "error: PostgreSQL's server binaries are not installed (apt-get install postgresql-15)" >&2; exit 1; }
# PostgreSQL refuses to run as root: run it as the postgres user Debian's package creates (or nobody).
as=()
if [ "$(id -u)" = 0 ]; then
  user=postgres
  id "$user" >/dev/null 2>&1 || user=nobody
  as=(runuser -u "$user" --)
fi
case "$cmd" in
  start)
    port="${3:?port}"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$user" "$dir"
    "${as[@]}" "$bin/initdb" -D "$dir/data" -U shikaku --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Loopback only, no Unix socket outside the folder, small and quick (fsync off: the cluster is thrown away).
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    "${as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U shikaku shikaku_test
    echo "Host=127.0.0.1;Port=$port;Username=shikaku;Database=shikaku_test"
    ;;
  stop)
    [ -d "$dir/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
