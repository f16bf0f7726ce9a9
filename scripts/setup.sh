#!/usr/bin/env bash
# Installs what the demo and the tests need, into the cache (see common.sh), and only
# what is missing: a second run takes seconds. Safe to run any number of times.
#   scripts/setup.sh            everything below
# Functions are reused by scripts/demo and scripts/test, which source this file.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEBIAN_PACKAGES=(git build-essential libpq-dev libldap2-dev libsasl2-dev libjpeg-dev
  zlib1g-dev libxml2-dev libxslt1-dev postgresql wkhtmltopdf acl chromium poppler-utils
  gettext)

ensure_debian_packages() {
  command -v dpkg-query >/dev/null || return 0  # not Debian: the user brings them
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} = 0 ] && return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null ||
      die "missing Debian packages: ${missing[*]}; install them: apt-get install ${missing[*]}"
    sudo=(sudo)
  fi
  say "Installing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

ensure_odoo_source() {
  mkdir -p "$STATE"
  if [ -f "$ODOO_DIR/odoo-bin" ] && [ "$(cat "$STATE/odoo.ref" 2>/dev/null)" = "$ODOO_REF" ]; then
    return 0
  fi
  say "Getting Odoo ($ODOO_REF) from $ODOO_SRC"
  local src=$ODOO_SRC
  # A plain path makes git ignore --depth; a file:// URL keeps the copy shallow.
  [ -d "$src" ] && src="file://$(cd "$src" && pwd)"
  [ -d "$ODOO_DIR/.git" ] || git init -q "$ODOO_DIR"
  local fetched=
  if git -C "$ODOO_DIR" fetch -q --depth 1 "$src" "$ODOO_REF" 2>/dev/null; then
    fetched=$ODOO_REF
  elif git -C "$ODOO_DIR" fetch -q --depth 1 "$src" "$ODOO_BRANCH" 2>/dev/null; then
    fetched=$ODOO_BRANCH
    say "$ODOO_SRC has no $ODOO_REF: using the tip of its branch $ODOO_BRANCH instead"
  else
    die "the Odoo 19 source is missing and could not be fetched from '$ODOO_SRC'.
Point ODOO_SRC at a copy of Odoo 19.0 (a git URL, or a local git directory, bare or not)
and run the command again, for example:
    ODOO_SRC=/path/to/odoo.git $0
The set-up keeps its copy in $ODOO_DIR, so this is needed once per machine."
  fi
  git -C "$ODOO_DIR" -c advice.detachedHead=false checkout -q --force FETCH_HEAD
  [ -f "$ODOO_DIR/odoo-bin" ] || die "$ODOO_SRC at $fetched does not look like Odoo (no odoo-bin)"
  grep -q "version_info = (19, 0" "$ODOO_DIR/odoo/release.py" ||
    die "$ODOO_SRC at $fetched is not Odoo 19.0"
  echo "$ODOO_REF" >"$STATE/odoo.ref"
  git -C "$ODOO_DIR" rev-parse HEAD >"$STATE/odoo.commit"
}

ensure_venv() {
  local wanted
  wanted=$( (cat "$ODOO_DIR/requirements.txt" "$REPO_ROOT/scripts/requirements.txt"
    "$PYTHON" --version) | sha256sum | cut -c1-16)
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$STATE/venv.stamp" 2>/dev/null)" = "$wanted" ]; then
    return 0
  fi
  say "Building the Python environment in $VENV (about two minutes the first time)"
  "$PYTHON" -m venv "$VENV" || die "'$PYTHON -m venv' failed: install python3-venv, or set PYTHON"
  "$VENV/bin/python" -m pip install -q --upgrade "pip>=25.3"
  # cbor2 (pinned by Odoo) does not build with setuptools 81 and newer.
  echo "setuptools<81" >"$STATE/build-constraints.txt"
  PIP_BUILD_CONSTRAINT=$STATE/build-constraints.txt \
    "$VENV/bin/pip" install -q -r "$ODOO_DIR/requirements.txt"
  # Odoo's pins stay in force for everything added on top of them.
  PIP_BUILD_CONSTRAINT=$STATE/build-constraints.txt \
    "$VENV/bin/pip" install -q -c "$ODOO_DIR/requirements.txt" -r "$REPO_ROOT/scripts/requirements.txt"
  # Odoo itself runs from its source tree: a path entry, not an (editable) install.
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$ODOO_DIR" >"$site/odoo-source.pth"
  echo "$wanted" >"$STATE/venv.stamp"
}

# An Odoo addon from PyPI (an OCA wheel, REQUIREMENT) unpacked into the addons
# directory DIR of the cache, once: fetch_addon_wheel REQUIREMENT DIR NAME.
fetch_addon_wheel() {
  local requirement=$1 dir=$2 name=$3 dl
  [ -f "$dir/$name/__manifest__.py" ] && return 0
  say "Getting $name from PyPI ($requirement)"
  dl=$(mktemp -d)
  "$VENV/bin/pip" download -q --no-deps -d "$dl" "$requirement" ||
    die "pip could not download $requirement"
  rm -rf "$dir.tmp"
  "$VENV/bin/python" - "$dl" "$dir.tmp" <<'PY'
import pathlib, sys, zipfile

wheel = next(pathlib.Path(sys.argv[1]).glob("*.whl"))
prefix = "odoo/addons/"
with zipfile.ZipFile(wheel) as archive:
    for name in archive.namelist():
        if name.startswith(prefix) and not name.endswith("/"):
            target = pathlib.Path(sys.argv[2], name[len(prefix):])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.read(name))
PY
  rm -rf "$dl" "$dir"
  mv "$dir.tmp" "$dir"
}

# OCA's queue_job (19.0), for dunning_escalation_queue, on the addons path of every
# configuration.
QUEUE_JOB_ADDONS=$ADDONS_DIR/queue_job-19.0
ensure_queue_job() {
  fetch_addon_wheel 'odoo-addon-queue_job>=19.0,<19.1' "$QUEUE_JOB_ADDONS" queue_job
}

# Lets the postgres user reach the cluster's directory when the cache sits in root's home.
grant_pg_traversal() {
  [ "$(id -u)" = 0 ] || return 0
  local dir=$PGROOT
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    runuser -u postgres -- test -x "$dir" 2>/dev/null || setfacl -m u:postgres:x "$dir"
  done
}

ensure_pg_cluster() {
  mkdir -p "$PGROOT"
  grant_pg_traversal
  [ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    say "Creating a private PostgreSQL cluster in $PGDATA"
    as_pg_owner "$(pg_bin)/initdb" -D "$PGDATA" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 ||
      die "initdb failed, see $PGROOT/initdb.log"
  fi
}

# Starts the cluster on 127.0.0.1 unless it runs already; sets PGPORT. Prints "started"
# when this call started it, so that the caller knows to stop it.
start_pg() {
  ensure_pg_cluster
  if pg_running; then
    PGPORT=$(pg_port)
    return 0
  fi
  local port=${DUNNING_PGPORT:-54329}
  if [ -z "${DUNNING_PGPORT:-}" ]; then
    while ! port_free "$port"; do port=$((port + 1)); done
  fi
  as_pg_owner mkdir -p "$PGSOCK"
  say "Starting PostgreSQL on 127.0.0.1:$port"
  as_pg_owner "$(pg_bin)/pg_ctl" -D "$PGDATA" -l "$PGROOT/server.log" -w -t 60 \
    -o "-p $port -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null || die "PostgreSQL did not start, see $PGROOT/server.log"
  echo "$port" | as_pg_owner tee "$PGROOT/port" >/dev/null
  PGPORT=$port
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='$PGUSER_ODOO'" | grep -q 1 ||
    psql_admin -qc "CREATE ROLE $PGUSER_ODOO LOGIN CREATEDB"
  echo started
}

stop_pg() {
  pg_running || return 0
  say "Stopping PostgreSQL"
  as_pg_owner "$(pg_bin)/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true
}

psql_admin() { "$(pg_bin)/psql" -X -h 127.0.0.1 -p "$PGPORT" -U postgres -d postgres "$@"; }

# Writes the Odoo configuration of this checkout; prints its path.
write_odoo_conf() {
  local conf
  # One file per checkout and ports, so that runs side by side never share one.
  conf=$STATE/odoo-$(printf %s "$REPO_ROOT:${DUNNING_HTTP_PORT:-}:${DUNNING_SMTP_PORT:-}" |
    sha256sum | cut -c1-8).conf
  cat >"$conf" <<CONF
[options]
addons_path = $ODOO_DIR/odoo/addons,$ODOO_DIR/addons,$QUEUE_JOB_ADDONS,$REPO_ROOT
data_dir = $DUNNING_CACHE/filestore
db_host = 127.0.0.1
db_port = $PGPORT
db_user = $PGUSER_ODOO
http_interface = 127.0.0.1
http_port = ${DUNNING_HTTP_PORT:-8069}
smtp_server = 127.0.0.1
smtp_port = ${DUNNING_SMTP_PORT:-2525}
max_cron_threads = 1
CONF
  echo "$conf"
}

odoo_bin() { "$VENV/bin/python" "$ODOO_DIR/odoo-bin" "$@"; }

setup_all() {
  ensure_debian_packages
  ensure_odoo_source
  ensure_venv
  ensure_queue_job
  ensure_pg_cluster
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  setup_all
  say "Set-up complete in $DUNNING_CACHE"
fi
