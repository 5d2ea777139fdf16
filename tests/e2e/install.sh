#!/bin/sh
# make install into a temporary prefix, and the installed tally works from
# there: binary, translations, manual page, service files; make uninstall
# takes it all away again.
. "$(dirname "$0")/lib.sh"
P="$WORK/usr"
run "make install PREFIX=$P" make -s -C "$REPO" install PREFIX="$P"
[ -x "$P/bin/tally" ] && pass "the binary is installed" || fail "no $P/bin/tally"
# What follows runs the binary under test (plain or sanitizer build), put
# where make install put its own.
install -m 0755 "$TALLY" "$P/bin/tally"
unset TALLY_LOCALEDIR
run "the installed tally runs" env TALLY_NEW_PIN=2468 "$P/bin/tally" --db "$WORK/i.db" init --shop X --currency PLN --manager Mira
run "and speaks Polish from its own share/locale" "$P/bin/tally" --db "$WORK/i.db" --lang pl digest --help
has "Polish help" "Użycie"
OUT=$(man -l "$P/share/man/man1/tally.1" 2>&1 >/dev/null)
same "the manual page renders without warnings" "$OUT" ""
OUT=$(MANWIDTH=80 man -l "$P/share/man/man1/tally.1" 2>/dev/null)
has "the manual page documents every command" "restore FILE"
missing=""
# Every command 'tally --help' lists, so a new one cannot go undocumented.
cmds=$("$P/bin/tally" --help | sed -n 's/^  \([a-z]\{2,\}\)  .*/\1/p')
[ "$(printf '%s\n' "$cmds" | wc -l)" -ge 30 ] && pass "tally --help lists the commands" ||
    fail "tally --help lists: $cmds"
for cmd in $cmds; do
    printf '%s\n' "$OUT" | grep -q "^ *$cmd\b\|, $cmd" || missing="$missing $cmd"
done
same "the manual page names every command" "$missing" ""
for u in "$P"/share/doc/tally/systemd/*.service; do
    grep -q "$P/bin/tally" "$u" && pass "$(basename "$u") runs the installed binary" || fail "$(basename "$u"): no $P/bin/tally"
    v=$(MANPATH="$P/share/man" systemd-analyze verify "$u" 2>&1 | grep -v -e "Unknown user" -e "tally.*not found" -e "^$")
    same "$(basename "$u") verifies" "$v" ""
done
run "the example configuration is valid" "$P/bin/tally" --config "$P/share/doc/tally/tally.conf" --help
run "make uninstall" make -s -C "$REPO" uninstall PREFIX="$P"
[ ! -e "$P/bin/tally" ] && [ ! -e "$P/share/man/man1/tally.1" ] && [ ! -e "$P/share/doc/tally" ] &&
    [ ! -e "$P/share/locale/pl/LC_MESSAGES/tally.mo" ] && pass "uninstall removes everything" || fail "files left after uninstall"
