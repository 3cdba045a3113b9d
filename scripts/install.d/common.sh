# Steps shared by scripts/install (the edge) and scripts/install-cloud, sourced
# by both. Each looks first and changes only what differs. The sourcing script
# sets ROOT (what / is), NODE (the Node the unit runs) and NAME (prefix of its messages).

say() { echo "$NAME: $*"; }
die() { echo "$NAME: $*" >&2; exit 1; }

# A path on the installed system, as seen from here.
r() { if [ "$ROOT" = / ]; then echo "$1"; else echo "$ROOT$1"; fi; }

# Node 20 or newer at $NODE, able to load FROM's better-sqlite3 (compiled for one Node ABI).
# Sets node_version.
check_node() {
  local from=$1 major
  [ -x "$NODE" ] || die "no Node at $NODE: cunbox needs Node 20 or newer there (Debian 12's nodejs is 18; scripts/install --install-node 20.19.5 fetches one)"
  node_version=$("$NODE" -p 'process.versions.node' 2>/dev/null) || die "$NODE does not run"
  major=${node_version%%.*}
  [[ "$major" =~ ^[0-9]+$ ]] && ((major >= 20)) || die "Node $node_version at $NODE is too old: cunbox needs Node 20 or newer"
  say "checked   Node $node_version at $NODE"
  "$NODE" -e "new (require('$from/node_modules/better-sqlite3'))(':memory:').close()" 2>/dev/null \
    || die "Node $node_version at $NODE cannot load this build's better-sqlite3: run npm ci and npm run build with the Node major version the box runs"
}

# Makes DIR with MODE and OWNER:GROUP (numbers), or corrects them; says what it did.
ensure_dir() {
  local dir=$1 mode=$2 owner=$3 name=$4
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"; chmod "$mode" "$dir"; chown "$owner" "$dir"; say "created   $name"
  elif [ "$(stat -c '%a %u:%g' "$dir")" != "${mode#0} $owner" ]; then
    chmod "$mode" "$dir"; chown "$owner" "$dir"; say "fixed     $name (mode $mode, owner $owner)"
  else say "kept      $name"
  fi
}

# The system user and group USER (no login, home HOME); sets uid and gid.
ensure_user() {
  local user=$1 home=$2 comment=$3 passwd_file prefix=()
  passwd_file=$(r /etc/passwd)
  [ -f "$passwd_file" ] || die "no $passwd_file: --root needs a tree with /etc/passwd and /etc/group"
  [ "$ROOT" = / ] || prefix=(--prefix "$ROOT")
  if ! grep -q "^$user:" "$(r /etc/group)"; then groupadd "${prefix[@]}" --system "$user"; say "created   group $user"; fi
  if ! grep -q "^$user:" "$passwd_file"; then
    useradd "${prefix[@]}" --system --gid "$user" --home-dir "$home" --no-create-home --shell /usr/sbin/nologin --comment "$comment" "$user"
    say "created   user $user"
  else say "kept      user $user"
  fi
  uid=$(grep "^$user:" "$passwd_file" | cut -d: -f3)
  gid=$(grep "^$user:" "$(r /etc/group)" | cut -d: -f3)
}

# Copies FILES (paths under FROM) into release directory REL_DIR unless it is
# complete already; TRY (a function given the copy) must succeed before it is.
copy_release() {
  local rel_dir=$1 try=$2 release err f; shift 2
  release=$(basename "$rel_dir")
  if [ -f "$rel_dir/.complete" ]; then say "kept      release $release"; return; fi
  rm -rf "$rel_dir.partial"
  mkdir -p "$rel_dir.partial"
  for f in "$@"; do
    mkdir -p "$rel_dir.partial/$(dirname "$f")"
    cp -a "$FROM/$f" "$rel_dir.partial/$f"
  done
  # Root's, readable by all, writable by none: the service user must not change its own code.
  chown -R 0:0 "$rel_dir.partial"
  chmod -R u+rwX,go+rX,go-w "$rel_dir.partial"
  if ! "$try" "$rel_dir.partial" >/dev/null 2>"$rel_dir.partial.err"; then
    err=$(tail -5 "$rel_dir.partial.err"); rm -rf "$rel_dir.partial" "$rel_dir.partial.err"
    die "release $release does not run with Node $node_version; current is unchanged. $err"
  fi
  rm -f "$rel_dir.partial.err"
  touch "$rel_dir.partial/.complete"
  mv -T "$rel_dir.partial" "$rel_dir"
  say "copied    release $release ($(du -sh "$rel_dir" | cut -f1))"
}

# Replaces link NAME with one to TARGET in a single rename: never a moment without it.
switch_link() {
  ln -sfn "$2" "$1.new"
  mv -Tf "$1.new" "$1"
}

# Removes every release under DIR but KEEP...: old ones only take disk.
prune_releases() {
  local dir=$1 d n k keep; shift
  for d in "$dir"/*; do
    [ -d "$d" ] || continue
    n=$(basename "$d"); keep=0
    for k in "$@"; do [ "$n" = "$k" ] && keep=1; done
    [ "$keep" = 1 ] || { rm -rf "$d"; say "removed   old $(basename "$dir")/$n"; }
  done
}

# Installs file SRC as DEST (0644 root) unless it is the same; sets unit_changed.
install_unit() {
  local src=$1 dest=$2
  unit_changed=0
  if cmp -s "$src" "$(r "$dest")"; then say "kept      $dest"
  else
    mkdir -p "$(dirname "$(r "$dest")")"
    install -m 0644 -o 0 -g 0 "$src" "$(r "$dest")"
    unit_changed=1
    say "wrote     $dest"
  fi
}
