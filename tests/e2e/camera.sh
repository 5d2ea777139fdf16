#!/bin/sh
# End to end through the real device code: 'tally scan' and the kiosk read
# an emulated V4L2 camera (/dev/video9) and an emulated evdev wedge scanner
# (/dev/input/event9), which tests/emu/ (an LD_PRELOAD library) makes
# behave like devices towards the unchanged scanner/camera.c and wedge.c:
# every pixel format a webcam sends, sizes and strides the driver insists
# on, and the ways real devices fail - busy, unplugged and plugged back,
# stalled, damaged frames, no usable format.
#
# The emulator is driven by control files this script rewrites (see
# tests/emu/emu_camera.c and emu_wedge.c) and reports what the devices did
# in a status file ($ST), which the checks wait on before they look.
. "$(dirname "$0")/lib.sh"
T=$TALLY
EMU="$REPO/build/emu/libemu.so"
if [ ! -f "$EMU" ]; then
    fail "no emulator at $EMU: run 'make units'"
    exit 1
fi
# A sanitized tally has ASan's runtime, which must be loaded first.
PRE=$EMU
if ldd "$T" 2>/dev/null | grep -q libasan; then
    PRE="$(${CC:-gcc} -print-file-name=libasan.so) $EMU"
fi
ST=$WORK/emu.status
export EMU_CAMERA=/dev/video9 EMU_CAMERA_CONTROL=$WORK/cam.ctl EMU_STATUS=$ST
export EMU_WEDGE=/dev/input/event9 EMU_WEDGE_CONTROL=$WORK/wedge.ctl EMU_WEDGE_CONSOLE=$WORK/console
# emu CMD...: CMD with the emulated devices. (In the background, env
# itself: a function there would run in a subshell, whose pid $! names.)
emu() { LD_PRELOAD=$PRE "$@"; }
# cam LINE...: the camera's control file, replaced whole.
cam() { printf '%s\n' "$@" >cam.ctl.new && mv cam.ctl.new cam.ctl; }
wedge() { printf '%s\n' "$@" >wedge.ctl.new && mv wedge.ctl.new wedge.ctl; }
# status NAME: a figure from the emulator's status file (0 before it says).
status() { v=$(sed -n "s/^$1 //p" "$ST" 2>/dev/null); echo "${v:-0}"; }
# wait_status WHAT NAME MIN: NAME reaches MIN within 20 s.
wait_status() {
    i=0
    while [ "$(status "$2")" -lt "$3" ]; do
        i=$((i + 1))
        if [ $i -gt 200 ]; then fail "$1: $2 is $(status "$2"), want $3"; return 1; fi
        sleep 0.1
    done
    pass "$1"
}
# wait_file WHAT FILE PATTERN: PATTERN shows in FILE within 20 s.
wait_file() {
    i=0
    while ! grep -q -- "$3" "$2" 2>/dev/null; do
        i=$((i + 1))
        if [ $i -gt 200 ]; then fail "$1: no '$3' in $(cat "$2")"; return 1; fi
        sleep 0.1
    done
    pass "$1"
}

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
env TALLY_STAFF=Mira TALLY_PIN=2468 TALLY_NEW_PIN=1111 $T staff add Bogdan --role barista >/dev/null
for who in "Łukasz Nowak 600100200" "Ana Pop 600100300"; do
    set -- $who
    env TALLY_STAFF=Bogdan TALLY_PIN=1111 $T customer add --name "$1 $2" --phone "$3" >/dev/null
done
OUT=$($T card 600100200 --png card.png --format json)
QR=$(printf '%s\n' "$OUT" | sed -n 's/.*"qr":"\([^"]*\)".*/\1/p')
HUMAN=$(printf '%s\n' "$OUT" | sed -n 's/.*"card":"\([^"]*\)".*/\1/p')
$T card 600100300 --png ana.png >/dev/null

# --- tally scan --camera: every format -------------------------------------------------
# scan_cam WHAT PATTERN: one code read from the camera within 20 s.
scan_cam() {
    OUT=$(emu $T scan --camera /dev/video9 --count 1 --seconds 20 2>&1)
    has "$1" "$2"
}
for f in YUYV MJPG NV12 GREY UYVY YU12; do
    cam "formats = $f" "image = $WORK/card.png"
    scan_cam "a $f camera reads the card" "/dev/video9: Łukasz Nowak, card $HUMAN (active)"
    has "and says it is on in $f" "camera /dev/video9 on: 640x480 $f"
done
cam "formats = YUYV" "pad = 96" "image = $WORK/card.png"
scan_cam "rows wider than the picture (YUYV)" "Łukasz Nowak"
cam "formats = NV12" "pad = 64" "image = $WORK/card.png"
scan_cam "rows wider than the picture (NV12)" "Łukasz Nowak"
cam "formats = MJPG,YUYV" "image = $WORK/card.png"
scan_cam "a raw format is preferred to MJPEG" "640x480 YUYV"
cam "formats = YUYV" "size = 1280x720" "image = $WORK/card.png"
scan_cam "the size the driver insists on is taken" "on: 1280x720 YUYV"
has "and read" "Łukasz Nowak"
cam "formats = MJPG" "size = 800x600" "image = $WORK/card.png"
scan_cam "the same in MJPEG" "on: 800x600 MJPG"
has "and read" "Łukasz Nowak"
cam "formats = YUYV" "image = $WORK/card.png" "damaged = 2"
scan_cam "every other frame damaged: the good ones are read" "Łukasz Nowak"

# --- held in front of the camera ----------------------------------------------------------
# A card held up for two seconds (60 frames) is one scan.
cam "formats = YUYV" "image = $WORK/card.png"
rm -f "$ST"
env LD_PRELOAD="$PRE" $T scan --camera /dev/video9 --raw >held.out 2>held.err &
pid=$!
wait_file "the held card is read" held.out "$QR"
wait_status "two seconds of frames pass" cam_frames 60
kill -INT $pid
wait $pid
same "a card held for two seconds is one scan" "$(grep -c "$QR" held.out)" 1

# --- failing like real cameras ------------------------------------------------------------
# scan_fail WHAT PATTERN: the camera fails with PATTERN (waited for, 30 s at
# most), and the scan, stopped then, exits 1. Not a --seconds just long
# enough: a stall is said after 5 s, which a 7 s run on a loaded machine
# may not reach.
scan_fail() {
    env LD_PRELOAD="$PRE" $T scan --camera /dev/video9 --seconds 60 >fail.out 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 300 ] && ! grep -q -- "$2" fail.out; do sleep 0.1; i=$((i + 1)); done
    kill -TERM $pid 2>/dev/null
    wait $pid
    rc=$?
    OUT=$(cat fail.out)
    if [ $rc -ne 1 ]; then fail "$1: exit $rc, want 1: $OUT"; else has "$1" "$2"; fi
}
cam "state = busy"
scan_fail "a camera another program has is busy" "camera /dev/video9 is busy: another program is using it"
cam "state = absent"
scan_fail "a missing camera is not found" "camera /dev/video9 not found: plug it in"
cam "formats = H264,RGB3"
scan_fail "only formats tally cannot take" "offers no picture format tally reads (it offers: H264, RGB3;"
cam "formats = YUYV" "image = $WORK/card.png" "state = eio"
scan_fail "an I/O error mid-stream" "camera /dev/video9 unplugged: plug it back in"
cam "formats = YUYV" "image = $WORK/card.png" "state = stalled"
scan_fail "a camera that sends nothing is restarted" "camera /dev/video9 stopped sending pictures"
cam "formats = YUYV" "image = $WORK/card.png" "damaged = 1"
scan_fail "a camera whose every frame is damaged says so" \
    "camera /dev/video9 sends only damaged pictures"

# Unplugged mid-run and plugged back: the same process reads on.
cam "formats = YUYV" "image = $WORK/card.png"
rm -f "$ST"
env LD_PRELOAD="$PRE" $T scan --camera /dev/video9 --count 2 --seconds 60 >replug.out 2>&1 &
pid=$!
wait_file "read before the camera is unplugged" replug.out "Łukasz Nowak"
cam "state = unplugged"
wait_file "the unplugged camera is said to be" replug.out "camera /dev/video9 unplugged: plug it back in"
same "and everything of it let go" "$(status cam_fds)" 0
cam "formats = MJPG" "image = $WORK/ana.png"
wait $pid
same "plugged back, the camera reads on; exit 1 after the failure" "$?" 1
OUT=$(cat replug.out)
same "it came back on" "$(grep -c 'camera /dev/video9 on' replug.out)" 2
has "and read the next card" "Ana Pop"

# --- tally scan --wedge: the emulated input device ----------------------------------------
wedge "type = $QR" "serial = 1"
OUT=$(emu $T scan --wedge /dev/input/event9 --count 1 --seconds 20 2>&1)
has "a wedge types the QR text, Shift for capitals" "/dev/input/event9: Łukasz Nowak, card $HUMAN (active)"
has "the input device is grabbed and named" "wedge scanner /dev/input/event9 on: Emulated barcode scanner"
wedge "type = $QR" "serial = 1" "layout = de"
OUT=$(emu $T scan --wedge /dev/input/event9 --count 1 --seconds 20 2>&1)
has "a scanner set to a German keyboard reads the same card" "Łukasz Nowak, card $HUMAN (active)"
wedge "state = grabbed"
OUT=$(emu $T scan --wedge /dev/input/event9 --seconds 1 2>&1)
has "a wedge another program grabbed is said to be" "wedge scanner /dev/input/event9 is grabbed by another program"

# Unplugged mid-code: the half code is dropped, the next one read whole.
rm -f "$ST"
wedge "type = $QR" "serial = 1" "unplug_after = 10"
env LD_PRELOAD="$PRE" $T scan --wedge /dev/input/event9 --raw --count 1 --seconds 60 >cut.out 2>&1 &
pid=$!
wait_file "a wedge unplugged mid-code is said to be" cut.out "wedge scanner /dev/input/event9 unplugged"
wedge "type = $QR" "serial = 2"
wait $pid
same "plugged back, it reads the next code" "$?" 1
same "and only that: no half code" "$(grep -c TALLY cut.out)" 1
OUT=$(cat cut.out)
has "whole" "^$QR\$"

# --- the kiosk ------------------------------------------------------------------------------
command -v tmux >/dev/null 2>&1 || exit 0
SOCK="tally-cam-$$"
WAIT_TENTHS=100     # a camera is tried again every 3 s
trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
kiosk() {   # kiosk ARGS...: the kiosk in an 80x24 terminal, devices emulated
    TM kill-server 2>/dev/null
    SOCK="tally-cam-$$-$1"      # a new server: the old one may be going still
    TM new-session -d -s k -x 80 -y 24 "TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' LD_PRELOAD='$PRE' $T kiosk --cards-dir '$WORK/cards' $*; sleep 60"
}

cam "formats = YUYV" "image = none"
rm -f "$ST"
kiosk --camera /dev/video9
wait_for "the kiosk shows the camera on" "camera on"
TM send-keys -t k Bogdan Tab 1111 Enter
wait_for "the barista logs in" "Scan a card"
cam "formats = YUYV" "image = $WORK/card.png"
wait_for "the card shown to the camera opens the customer" "Łukasz Nowak"
TM send-keys -t k Escape
wait_for "back to the idle screen" "Scan a card"
cam "state = unplugged"
wait_for "the unplugged camera shows on the status line" "camera missing; retrying"
wait_for "and why" "unplugged: plug it back in"
TM send-keys -t k 600100300 Enter
wait_for "the keyboard serves meanwhile" "Ana Pop"
TM send-keys -t k Escape
cam "formats = YUYV" "image = $WORK/card.png"
wait_for "the camera is picked up again" "camera on"
wait_for "and reads" "Łukasz Nowak"

# A grabbed wedge never types into a form field: at the login form, what
# it types goes only to tally. (Were it not grabbed, the emulator would
# write it to $EMU_WEDGE_CONSOLE, which is forwarded to the terminal.)
rm -f "$ST" console
wedge "state = present"
kiosk --wedge /dev/input/event9
wait_status "the kiosk grabs the wedge" wedge_grabbed 1
wedge "type = $QR" "serial = 1"
wait_status "the wedge types" wedge_typed 1
wait_for "a scan at the login form asks to log in" "Log in first"
[ -s console ] && TM send-keys -t k -l "$(cat console)"
TM send-keys -t k Tab
wait_for "the form is still there" "Log in to start"
if screen | grep -q "TALLY"; then fail "the code was typed into the form:"; screen | sed 's/^/    | /'
else pass "nothing was typed into the form"; fi
TM kill-server 2>/dev/null
