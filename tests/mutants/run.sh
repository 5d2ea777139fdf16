#!/bin/sh
# make mutate: applies each mutant of tests/mutants/mutants.txt, one at a
# time, to a copy of this tree, rebuilds, and runs the tests the mutant
# names; a mutant must make one of them fail. Ends naming every mutant
# that survived (or no longer applies) and exits non-zero if there is one.
#   tests/mutants/run.sh [NAME...]     only the mutants named
# A copy, not this tree: an interrupted run leaves no bug behind.
set -u
cd "$(dirname "$0")/../.."
list=$PWD/tests/mutants/mutants.txt
work=$(mktemp -d "${TMPDIR:-/tmp}/tally-mutate-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
tar --exclude=./build --exclude=./.git --exclude=./tally --exclude=./demo -cf - . | tar -C "$work" -xf -
cd "$work" || exit 1
export TALLY_LOCALEDIR="$work/build/locale"
log="$work/mutant.log"
TAB=$(printf '\t')

# name TAB file TAB tests TAB from TAB to, one line per mutant.
records() {
    awk -v want=" $* " '
        function flush() { if (name != "" && (want == "  " || index(want, " " name " ")))
                               print name "\t" file "\t" tests "\t" from "\t" to; name = "" }
        /^@ / { flush(); name = $2; file = $3; tests = ""
                for (i = 4; i <= NF; i++) tests = tests (tests == "" ? "" : " ") $i; next }
        /^- / { sub(/^- +/, ""); from = $0; next }
        /^\+ / { sub(/^\+ +/, ""); to = $0; next }
        END { flush() }' "$list"
}

# Replaces the one line of $1 whose text (indentation aside) is $FROM.
apply() {
    FROM=$2 TO=$3 perl -i -e '
        local $/; my $t = <>;
        my $n = () = $t =~ /^[ \t]*\Q$ENV{FROM}\E[ \t]*$/mg;
        if ($n != 1) { print $t; exit 3 }
        $t =~ s/^([ \t]*)\Q$ENV{FROM}\E[ \t]*$/$1$ENV{TO}/m;
        print $t;' "$1"
}

# Builds what the tests need; 0 when it built.
build() {
    targets="build/tally locales"
    for t in $1; do
        case "$t" in
        test_*) targets="$targets build/tests/$t" ;;
        fuzz_*) targets="$targets build/fuzz/$t" ;;
        esac
    done
    # shellcheck disable=SC2086
    make -s BUILD=build $targets >"$log" 2>&1
}

# Runs one test; 0 when it passed.
check() {
    case "$1" in
    test_*) CMOCKA_MESSAGE_OUTPUT=stdout timeout 900 "build/tests/$1" >"$log" 2>&1 ;;
    *.sh)   TALLY="$work/build/tally" timeout 900 sh "tests/e2e/$1" >"$log" 2>&1 &&
                ! grep -q '^FAIL: ' "$log" ;;
    fuzz_*) out=$(mktemp -d) &&
            timeout 900 "build/fuzz/$1" -max_total_time="${MUTATE_FUZZ_SECONDS:-5}" \
                "$out" "tests/fuzz/corpus/$1" >"$log" 2>&1
            rc=$?; rm -rf "$out"; return $rc ;;
    *)      echo "mutate: unknown test '$1'" >"$log"; return 2 ;;
    esac
}

if [ -z "$(records "$@")" ]; then
    echo "mutate: no mutant named $*" >&2
    exit 2
fi

# The tests must pass on the tree as it is, or a failure proves nothing.
all=$(records "$@" | cut -f3 | tr ' ' '\n' | sort -u | tr '\n' ' ')
echo "mutate: building and running the unmutated tests ($all)"
if ! build "$all"; then
    cat "$log"; echo "mutate: the tree does not build"; exit 2
fi
for t in $all; do
    if ! check "$t"; then
        tail -n 30 "$log"; echo "mutate: $t fails without any mutant"; exit 2
    fi
done

caught=0
survivors=""
records "$@" >"$work/records"
while IFS=$TAB read -r name file tests from to; do
    cp "$file" "$work/original"
    if ! apply "$file" "$from" "$to"; then
        echo "STALE    $name: '$from' is not once in $file"
        survivors="$survivors $name(stale)"
        cp "$work/original" "$file"
        continue
    fi
    if ! build "$tests"; then
        tail -n 5 "$log"
        echo "STALE    $name: does not build"
        survivors="$survivors $name(no-build)"
    else
        by=""
        for t in $tests; do
            if ! check "$t"; then by=$t; break; fi
        done
        if [ -n "$by" ]; then
            echo "caught   $name (by $by)"
            caught=$((caught + 1))
        else
            echo "SURVIVED $name: $tests all passed with it"
            survivors="$survivors $name"
        fi
    fi
    cp "$work/original" "$file"
done <"$work/records"

n=$(wc -l <"$work/records")
echo "mutants: $n, caught $caught"
if [ -n "$survivors" ]; then
    echo "mutate: survived:$survivors"
    exit 1
fi
