# Shared settings and helpers of the set-up, demo and test commands.
# Sourced, never run: it defines variables and functions and does nothing else.
#
# Everything installed lives in one cache directory outside the checkout, so that every
# clone of the project on this machine shares it:
#   DUNNING_CACHE   the cache (default: $XDG_CACHE_HOME or ~/.cache, then /dunning_escalation)
#   ODOO_SRC        where to get Odoo 19 from: a local git directory (bare or not) or a
#                   git URL (default: the official repository)
#   ODOO_REF        the commit or branch to check out (default: the pinned 19.0 commit
#                   below; when the source lacks it, the tip of ODOO_BRANCH is used)
#   ODOO_BRANCH     the branch to fall back to (default: 19.0)
#   PYTHON          the interpreter for the venv (default: python3, 3.10 to 3.12)
#   DUNNING_PGPORT  the port of the private PostgreSQL cluster (default: first free from 54329)
#   DUNNING_HTTP_PORT  Odoo's port in the demo (default: 8069)

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ADDON=dunning_escalation
DUNNING_CACHE=${DUNNING_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dunning_escalation}
ODOO_SRC=${ODOO_SRC:-https://github.com/odoo/odoo.git}
ODOO_BRANCH=${ODOO_BRANCH:-19.0}
# Odoo 19.0 of 2025-11-14: the version every run is tested against unless told otherwise.
ODOO_PINNED=ca3afd656dc475e6f2f54b971a55ffd563e4abb0
ODOO_REF=${ODOO_REF:-$ODOO_PINNED}
PYTHON=${PYTHON:-python3}

ODOO_DIR=$DUNNING_CACHE/odoo
VENV=$DUNNING_CACHE/venv
PGROOT=$DUNNING_CACHE/pg
PGDATA=$PGROOT/data
PGSOCK=$PGROOT/run
PGUSER_ODOO=odoo
STATE=$DUNNING_CACHE/state
ADDONS_DIR=$DUNNING_CACHE/addons
export DUNNING_CACHE

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31mERROR: %s\033[0m\n' "$*" >&2; exit 1; }

# Runs a command as the owner of the PostgreSQL cluster: PostgreSQL refuses root.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  command -v pg_ctl >/dev/null && { dirname "$(command -v pg_ctl)"; return; }
  return 1
}

pg_port() { cat "$PGROOT/port" 2>/dev/null || true; }

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] && as_pg_owner "$(pg_bin)/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

odoo_conf() { echo "$STATE/odoo.conf"; }
