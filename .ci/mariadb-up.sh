#!/usr/bin/env bash
# Idempotent MariaDB for tests and CI, without systemd: installs Debian's mariadb-server when
# missing, initialises a private datadir, starts mariadbd, waits until it answers, creates the
# database and user, and prints DATABASE_URL=… as its last line. Logs go to stderr.
set -euo pipefail

BASE=${MARIADB_BASE:-/var/tmp/testcloud-mariadb}   # must be traversable by the mysql user
PORT=${MARIADB_PORT:-3306}
DB_NAME=${DB_NAME:-testcloud}
DB_USER=${DB_USER:-testcloud}
DB_PASS=${DB_PASS:-testcloud_pw}
WAIT_S=${MARIADB_WAIT_S:-60}

DATADIR=$BASE/data RUNDIR=$BASE/run
SOCK=$RUNDIR/mysqld.sock PIDFILE=$RUNDIR/mysqld.pid LOG=$BASE/mariadbd.err CNF=$BASE/my.cnf

log() { echo "[mariadb-up] $*" >&2; }

missing=0
for b in mariadbd mariadb-install-db mariadb mariadb-admin; do command -v "$b" >/dev/null 2>&1 || missing=1; done
if [ "$missing" = 1 ]; then
  log "installing mariadb-server (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq mariadb-server >&2
fi

mkdir -p "$DATADIR" "$RUNDIR"
chown -R mysql:mysql "$BASE"
cat >"$CNF" <<CNF
[mysqld]
user=mysql
datadir=$DATADIR
socket=$SOCK
pid-file=$PIDFILE
port=$PORT
bind-address=127.0.0.1
log-error=$LOG
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
skip-name-resolve
innodb_buffer_pool_size=256M
innodb_flush_log_at_trx_commit=2
max_connections=500
[client]
socket=$SOCK
CNF
chown mysql:mysql "$CNF"

ping() { mariadb-admin --defaults-file="$CNF" --protocol=socket -uroot ping >/dev/null 2>&1; }

if [ ! -d "$DATADIR/mysql" ]; then
  log "initialising datadir $DATADIR"
  mariadb-install-db --defaults-file="$CNF" --user=mysql --datadir="$DATADIR" \
    --auth-root-authentication-method=socket --skip-test-db >"$BASE/install-db.log" 2>&1 \
    || { cat "$BASE/install-db.log" >&2; exit 1; }
fi

if ping; then
  log "already running, not starting"
else
  if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q .; then
    log "port $PORT is taken by another process:"; ss -ltnp "sport = :$PORT" >&2; exit 1
  fi
  rm -f "$SOCK" "$SOCK.lock" "$PIDFILE"   # leftovers of a killed server
  log "starting mariadbd on 127.0.0.1:$PORT"
  setsid nohup mariadbd --defaults-file="$CNF" >>"$BASE/mariadbd.out" 2>&1 </dev/null &
  pid=$!
  for _ in $(seq 1 $((WAIT_S * 4))); do
    ping && break
    kill -0 "$pid" 2>/dev/null || { log "mariadbd exited early:"; tail -n 30 "$LOG" >&2 || true; exit 1; }
    sleep 0.25
  done
  ping || { log "not ready after ${WAIT_S}s"; tail -n 30 "$LOG" >&2 || true; exit 1; }
  log "ready (pid $pid)"
fi

mariadb --defaults-file="$CNF" --protocol=socket -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
-- tests create one database per test file: grant on the testcloud prefix
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL

echo "DATABASE_URL=mysql://$DB_USER:$DB_PASS@127.0.0.1:$PORT/$DB_NAME"
