#!/bin/sh
# End to end: the camera and wedge sources of 'tally scan' and the kiosk,
# on a machine with neither. A camera that is not one (/dev/null) or is
# missing says so and keeps retrying until --seconds; a wedge is fed
# struct input_event records from a file and through a FIFO, as a grabbed
# input device would deliver them; the kiosk shows the camera's state on
# its status line and opens the customer a wedge scan names.
#
# Exit codes of 'tally scan' (see 'tally scan --help'): 0 every source
# could be read; 1 a source could not be (reason on stderr); 2 usage.
. "$(dirname "$0")/lib.sh"
T=$TALLY

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
env TALLY_STAFF=Mira TALLY_PIN=2468 TALLY_NEW_PIN=1111 $T staff add Bogdan --role barista >/dev/null
env TALLY_STAFF=Bogdan TALLY_PIN=1111 $T customer add --name "Łukasz Nowak" --phone 600100200 >/dev/null
OUT=$($T card 600100200 --png card.png --format json)
QR=$(printf '%s\n' "$OUT" | sed -n 's/.*"qr":"\([^"]*\)".*/\1/p')
HUMAN=$(printf '%s\n' "$OUT" | sed -n 's/.*"card":"\([^"]*\)".*/\1/p')

# exited WHAT CODE PATTERN: the command behind $rc and $OUT exited CODE
# with PATTERN in its output.
exited() {
    if [ "$rc" -ne "$2" ]; then
        fail "$1: exit $rc, want $2: $OUT"
    elif printf '%s\n' "$OUT" | grep -q -- "$3"; then
        pass "$1"
    else
        fail "$1: expected '$3', got: $OUT"
    fi
}

# scan_status WHAT CODE PATTERN CMD...: CMD exits CODE with PATTERN in its output.
scan_status() {
    what=$1; code=$2; pattern=$3; shift 3
    OUT=$("$@" 2>&1)
    rc=$?
    exited "$what" "$code" "$pattern"
}

# scan_says WHAT PATTERN CMD...: CMD, a scan without --seconds, says PATTERN
# (20 s at most), then Ctrl-C ends it, exit 1: a source could not be read.
# Not --seconds 0.1: on a loaded machine that ended a scan before its
# source's thread had tried the source, saying nothing, one in 180.
scan_says() {
    what=$1; pattern=$2; shift 2
    "$@" >says.out 2>says.err &
    spid=$!
    i=0
    while [ $i -lt 200 ] && ! grep -q -- "$pattern" says.err; do sleep 0.1; i=$((i + 1)); done
    kill -INT $spid 2>/dev/null
    i=0
    while [ $i -lt 100 ] && kill -0 $spid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
    kill -9 $spid 2>/dev/null
    wait $spid
    rc=$?
    OUT=$(cat says.out says.err)
    exited "$what" 1 "$pattern"
}

# --- the camera ----------------------------------------------------------------
start=$(date +%s%N)
scan_status "a camera that is not one is refused, exit 1" 1 \
    "/dev/null is not a camera: give a video device such as /dev/video0; retrying every 3 s" \
    $T scan --camera /dev/null --seconds 1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 950 ] && [ "$ms" -lt 5000 ] && pass "--seconds 1 reads for a second ($ms ms)" ||
    fail "--seconds 1 took $ms ms"
same "the failure is said once, not at every retry" "$(printf '%s\n' "$OUT" | grep -c retrying)" 1
scan_says "a missing camera says so" "camera $WORK/video9 not found: plug it in" \
    $T scan --camera "$WORK/video9"
scan_says "a regular file is not a camera" "card.png is not a camera" $T scan --camera card.png
scan_says "--raw needs no shop for a camera either" "not a camera" \
    env TALLY_DB="$WORK/none.db" $T scan --raw --camera /dev/null
scan_status "--count takes a number" 2 "--count takes a whole number" $T scan --camera /dev/null --count 0
scan_status "--seconds takes a number" 2 "--seconds takes a number" $T scan --camera /dev/null --seconds soon
scan_status "a source is needed" 2 "--camera DEV or --wedge DEV" $T scan --count 1
scan_status "files only with --images" 2 "unexpected argument 'card.png'" $T scan --camera /dev/null card.png

# Ctrl-C ends the reading cleanly: the JSON array is closed.
# A background job of sh starts with SIGINT ignored until tally sets its own
# handler: send it only once tally has said its first word (the camera's
# failure), and never wait forever.
$T scan --camera /dev/null --format json >ctrlc.out 2>ctrlc.err &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "not a camera" ctrlc.err 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
grep -q "not a camera" ctrlc.err || fail "the camera scan never said /dev/null is not a camera: $(cat ctrlc.err)"
kill -INT $pid
i=0
while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
kill -0 $pid 2>/dev/null && { fail "Ctrl-C did not stop the camera scan in 10 s"; kill -9 $pid; }
wait $pid
rc=$?
same "Ctrl-C stops a camera scan, exit 1 after a failure" "$rc" 1
same "and the JSON is complete" "$(cat ctrlc.out)" "[]"

# --- the wedge: struct input_event records ----------------------------------------
if [ "$(getconf LONG_BIT)" = 64 ]; then
    # ev TYPE CODE VALUE: one struct input_event as on 64-bit Linux: 16 bytes
    # of time (zero here), then type, code (16 bits) and value (32 bits),
    # little-endian. Values here fit in a byte.
    o() { printf "\\$(printf %03o "$1")"; }
    ev() { printf '\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000'
           o "$1"; printf '\000'; o "$2"; printf '\000'; o "$3"; printf '\000\000\000'; }
    press() { ev 1 "$1" 1; ev 0 0 0; ev 1 "$1" 0; ev 0 0 0; }   # key down, up, with SYN
    # type_line TEXT: the keys a US-layout scanner types for TEXT, then Enter.
    type_line() {
        s=$1
        while [ -n "$s" ]; do
            c=${s%"${s#?}"}
            s=${s#?}
            shift_=0
            case $c in [A-Z]) shift_=1; c=$(printf '%s' "$c" | tr A-Z a-z) ;; :) shift_=1; c=';' ;; esac
            case $c in
                1) k=2 ;; 2) k=3 ;; 3) k=4 ;; 4) k=5 ;; 5) k=6 ;; 6) k=7 ;; 7) k=8 ;; 8) k=9 ;; 9) k=10 ;; 0) k=11 ;;
                -) k=12 ;; q) k=16 ;; w) k=17 ;; e) k=18 ;; r) k=19 ;; t) k=20 ;; y) k=21 ;; u) k=22 ;;
                i) k=23 ;; o) k=24 ;; p) k=25 ;; a) k=30 ;; s) k=31 ;; d) k=32 ;; f) k=33 ;; g) k=34 ;;
                h) k=35 ;; j) k=36 ;; k) k=37 ;; l) k=38 ;; ';') k=39 ;; z) k=44 ;; x) k=45 ;; c) k=46 ;;
                v) k=47 ;; b) k=48 ;; n) k=49 ;; m) k=50 ;; *) echo "no key for '$c'" >&2; return 1 ;;
            esac
            [ $shift_ = 1 ] && ev 1 42 1
            press $k
            [ $shift_ = 1 ] && ev 1 42 0
        done
        press 28
    }

    { type_line "$QR"; press 59; ev 2 0 5; type_line "$HUMAN"; } >keys.bin
    same "the records are whole" "$(( $(wc -c <keys.bin) % 24 ))" 0
    run "a wedge's recorded keys are read to their end" $T scan --wedge keys.bin
    has "the QR payload typed with Shift names the customer" "keys.bin: Łukasz Nowak, card $HUMAN (active)"
    same "and so does the human form; F1 and a mouse wheel type nothing" \
        "$(printf '%s\n' "$OUT" | grep -c 'Łukasz Nowak')" 2
    has "the wedge is said to be on" "wedge scanner keys.bin on"
    type_line "TALLY:$(forge "$QR" | tr -d -)" >forged.bin
    run "a forged card's code is read from the wedge" $T scan --wedge forged.bin
    has "and refused at scan as not genuine" "forged.bin: .*not genuine"
    same "naming nobody" "$(printf '%s\n' "$OUT" | grep -c 'Łukasz Nowak')" 0
    run "--count 1 stops after the first code" $T scan --wedge keys.bin --count 1
    same "one code" "$(printf '%s\n' "$OUT" | grep -c 'Łukasz Nowak')" 1
    run "--raw prints what the wedge typed" $T scan --raw --wedge keys.bin
    has "the QR payload as typed" "^$QR\$"
    has "the human form as typed" "^$HUMAN\$"
    run "the same as JSON" $T scan --wedge keys.bin --format json
    has "JSON names the customer" '"verdict":"ok","card":"'"$HUMAN"'","state":"active"'
    scan_says "a missing wedge says so" "wedge scanner $WORK/kbd not found: plug it in" \
        $T scan --wedge "$WORK/kbd"
    scan_says "a character device that is not an input device is refused" \
        "/dev/null is not an input device" $T scan --wedge /dev/null

    # Through a FIFO, as a device delivers keys: whenever they come. (Written
    # by cat in one go, so the shell is not the writer that tally leaves.)
    type_line "$QR" >qr.bin
    mkfifo kbd.fifo
    $T scan --wedge kbd.fifo --count 1 >fifo.out 2>&1 &
    pid=$!
    sleep 0.2
    (cat qr.bin >kbd.fifo) 2>/dev/null
    i=0
    while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
    kill $pid 2>/dev/null && fail "the FIFO scan did not stop at --count 1"
    wait $pid
    same "a FIFO scan ends at --count, exit 0" "$?" 0
    OUT=$(cat fifo.out)
    has "the code through the FIFO names the customer" "kbd.fifo: Łukasz Nowak, card $HUMAN (active)"

    # --- the kiosk ----------------------------------------------------------------
    if command -v tmux >/dev/null 2>&1; then
        SOCK="tally-scan-$$"     # TM, screen and wait_for: lib.sh
        trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
        rm -f kbd.fifo
        mkfifo kbd.fifo
        TM new-session -d -s k -x 80 -y 24 "TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T kiosk --camera /dev/null --wedge '$WORK/kbd.fifo' --cards-dir '$WORK/cards'; sleep 60"
        wait_for "the kiosk shows the camera's state" "camera unusable, wedge on; retrying"
        wait_for "and why, once" "/dev/null is not a camera"
        TM send-keys -t k Bogdan Tab 1111 Enter
        wait_for "the keyboard works meanwhile" "Scan a card"
        (cat qr.bin >kbd.fifo) 2>/dev/null
        wait_for "a wedge scan opens the customer" "Łukasz Nowak"
        TM kill-server 2>/dev/null
    fi
fi
