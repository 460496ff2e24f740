#!/bin/sh
# runm's postgres image entrypoint: the official image's contract in short. The first start of an
# empty data directory runs initdb with POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, accepts
# password (scram) logins from any address and listens on all of them; every start then runs
# postgres in the foreground as PID 1 (SIGINT: fast shutdown).
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA
bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PATH="$bindir:$PATH"
self=/usr/local/bin/runm-postgres-entrypoint

if [ "$(id -u)" = 0 ]; then
  # Started as root (ctr has no `run --user`): run as the data directory's owner, which is what
  # `--user "$(id -u):$(id -g)"` of that owner gives; a root-owned directory goes to the image's
  # postgres user, as the official image does.
  mkdir -p "$PGDATA"
  uid=$(stat -c %u "$PGDATA")
  gid=$(stat -c %g "$PGDATA")
  if [ "$uid" = 0 ]; then
    uid=$(id -u postgres)
    gid=$(id -g postgres)
    chown "$uid:$gid" "$PGDATA"
  fi
  exec setpriv --reuid="$uid" --regid="$gid" --clear-groups "$self" "$@"
fi

# initdb and postgres look their own user up: a uid without a passwd entry gets one through
# nss_wrapper (as the official image does for --user).
if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
  NSS_WRAPPER_PASSWD=$(mktemp)
  NSS_WRAPPER_GROUP=$(mktemp)
  grep -v '^postgres:' /etc/passwd >"$NSS_WRAPPER_PASSWD"
  echo "postgres:x:$(id -u):$(id -g):PostgreSQL:$PGDATA:/bin/false" >>"$NSS_WRAPPER_PASSWD"
  cat /etc/group >"$NSS_WRAPPER_GROUP"
  getent group "$(id -g)" >/dev/null 2>&1 || echo "postgres-data:x:$(id -g):" >>"$NSS_WRAPPER_GROUP"
  LD_PRELOAD=$(find /usr/lib -name libnss_wrapper.so | head -n 1)
  export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP LD_PRELOAD
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "runm-postgres: POSTGRES_PASSWORD is unset: set it (-e POSTGRES_PASSWORD=...) for the superuser" >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  db=${POSTGRES_DB:-$user}
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of flags, as in the official image
  initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  # The socket goes to /tmp: Debian's /var/run/postgresql belongs to the image's postgres user.
  printf "listen_addresses = '*'\nunix_socket_directories = '/tmp'\n" >>"$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start
    # psql quotes the name itself (:"db"): it comes from the environment.
    echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -h /tmp -U "$user" -d postgres --set db="$db"
    pg_ctl -D "$PGDATA" -m fast -w stop
  fi
fi
exec postgres "$@"
