#!/bin/sh
# A newcomer's first commands. The first 'make' on a fresh machine: the libraries are not there until
# scripts/deps.sh installs them, so the build must ask pkg-config for their
# flags only afterwards. A fake apt-get "installs" by leaving a mark, and
# pkg-config and dpkg-query see nothing before it; the copy of the tree is
# then built from an empty build directory, on the first try.
. "$(dirname "$0")/lib.sh"
# A build check, not a check of $TALLY: the sanitizer pass would only repeat it.
case "$TALLY" in */san/*) exit 0 ;; esac

FAKE="$WORK/bin"
MARK="$WORK/installed"
mkdir -p "$FAKE" "$WORK/src"
REAL_PKG_CONFIG=$(command -v pkg-config)
cat >"$FAKE/dpkg-query" <<SH
#!/bin/sh
[ -e "$MARK" ] && printf 'install ok installed'
exit 0
SH
cat >"$FAKE/apt-get" <<SH
#!/bin/sh
echo "\$*" >>"$WORK/apt.log"
case " \$* " in *" install "*) [ -n "\${FAIL_INSTALL:-}" ] || touch "$MARK" ;; esac
SH
cat >"$FAKE/pkg-config" <<SH
#!/bin/sh
[ -e "$MARK" ] || exit 1
exec "$REAL_PKG_CONFIG" "\$@"
SH
cat >"$FAKE/sudo" <<'SH'
#!/bin/sh
exec "$@"
SH
chmod +x "$FAKE"/*
(cd "$REPO" && git ls-files -z | xargs -0 cp --parents -t "$WORK/src") 2>/dev/null ||
    (cd "$REPO" && tar cf - --exclude=./build --exclude=./tally --exclude=./.git . | tar xf - -C "$WORK/src")

export PATH="$FAKE:$PATH"
# Unoptimised (OPT=-O0), which compiles in half the time: what is checked is
# the order of installing and asking pkg-config, not the compiler's work.
run "the first 'make' on a fresh machine builds tally" make -s -C "$WORK/src" -j2 OPT=-O0 tally
grep -q " install " "$WORK/apt.log" 2>/dev/null && pass "it installed the packages first" ||
    fail "apt-get install was not run: $(cat "$WORK/apt.log" 2>/dev/null)"
run "the tally it built runs" "$WORK/src/tally" --help
grep -q -- "-lsqlite3" "$WORK/src/build/config.mk" && pass "build/config.mk has the libraries' flags" ||
    fail "build/config.mk: $(cat "$WORK/src/build/config.mk")"

# make demo, with no terminal: a living shop, and it stops before the kiosk.
run "make demo without a terminal" make -s -C "$WORK/src" demo </dev/null
has "it ends by saying what to try" "In the next five minutes\|next five minutes"
n=$(sqlite3 "$WORK/src/demo/shop.db" "SELECT count(*) FROM customers")
[ "$n" -ge 400 ] && pass "the demo shop has a few hundred members ($n)" || fail "the demo shop has $n members"
d=$(sqlite3 "$WORK/src/demo/shop.db" "SELECT (max(wall) - min(wall)) / 86400000 FROM events")
[ "$d" -ge 100 ] && pass "and a season of history ($d days)" || fail "the demo history spans $d days"
# The demo speaks the shop's language (LANG), its translations built beside
# it: not those of the tree under test, nor any installed.
[ -s "$WORK/src/build/locale/pl/LC_MESSAGES/tally.mo" ] && pass "make demo builds the translations" ||
    fail "make demo left no build/locale/pl/LC_MESSAGES/tally.mo"
EN=$(env -u TALLY_LOCALEDIR LANGUAGE= LC_ALL= LANG=C.UTF-8 "$WORK/src/tally" --help 2>&1)
PL=$(env -u TALLY_LOCALEDIR LANGUAGE= LC_ALL= LANG=pl_PL.UTF-8 "$WORK/src/tally" --help 2>&1)
[ -n "$EN" ] && [ "$PL" != "$EN" ] && pass "and its tally speaks Polish with LANG=pl_PL.UTF-8" ||
    fail "after make demo, LANG=pl_PL.UTF-8 still gives English"
# On a terminal it ends in the kiosk, at the login.
S="tally-newcomer-$$"
tmux new-session -d -s "$S" -x 100 -y 30 "make -s -C '$WORK/src' demo; echo DEMO-EXITED; sleep 60"
i=0
while [ $i -lt 200 ]; do
    tmux capture-pane -p -t "$S" 2>/dev/null | grep -q "Log in to start\|DEMO-EXITED" && break
    sleep 0.2; i=$((i + 1))
done
OUT=$(tmux capture-pane -p -t "$S" 2>&1)
has "on a terminal, make demo opens the kiosk's login" "Log in to start"
tmux send-keys -t "$S" F10
tmux kill-session -t "$S" 2>/dev/null

# When the packages could not be installed, make says which command would.
rm -rf "$MARK" "$WORK/src/build" "$WORK/src/tally"
FAIL_INSTALL=1 refuse "with packages still missing, make names the install command" "scripts/deps.sh" \
    make -s -C "$WORK/src" tally
[ ! -e "$WORK/src/build/config.mk" ] && pass "and leaves no half-made config behind" ||
    fail "build/config.mk left: $(cat "$WORK/src/build/config.mk")"
