/* bench_scan.c - the camera's decode path against bare zbar, and the time
 * from a frame's arrival to its code in the main loop.
 *
 * Frames: FRAMES 640x480 grey frames, each a different card's QR (made by
 * qr_encode, as printed) drawn anti-aliased with mild distortions drawn at
 * random from a fixed seed: turned up to 8 degrees, 3.5 to 5 px a module,
 * off-centre, box-blurred (radius 1), noise (sigma 6) and contrast 40-215.
 *
 * (a) Per-frame cost. "ours" is what the camera's decode thread does with
 *     a frame: scan_frame_decode() (conversion to grey, zbar, the symbol
 *     walk and callback) plus card_parse() of every text found. "bare" is
 *     the least zbar needs for the same answer: one zbar image reused,
 *     zbar_image_set_data() and zbar_scan_image() on an image scanner with
 *     the same configuration (QR only), and the walk over its symbols.
 *     Rounds alternate ours, bare, ours, ... over all frames; each side's
 *     figure is its median round. Done twice: GREY frames (scanned in
 *     place) and YUYV frames (ours converts; bare gets the grey frame, so
 *     the conversion counts against us).
 * (b) Latency. A scanner with a camera pipeline (scanner_open with
 *     frames), dedupe off; each of LAT_FRAMES YUYV frames is handed to
 *     scanner_frame(), the frame entry point the V4L2 thread calls, and
 *     the clock stops when poll() on scanner_fd() returns and
 *     scanner_next() gives the code: copy, conversion, decode, dedupe,
 *     queue and wake-up. One frame at a time, so none is dropped.
 *
 * (c) Latency through the device. The same frames, written as PNG files,
 *     shown to the emulated V4L2 camera the tests use (tests/emu, preloaded:
 *     the benchmark runs itself again under it) and read by the real camera
 *     thread (scanner_open with a camera): the clock starts when the
 *     emulated driver has the first frame of a new card ready to dequeue
 *     and stops when poll() on scanner_fd() returns and scanner_next() gives
 *     that card: the capture thread's wake-up and DQBUF, the copy, the
 *     decode thread, the queue and the main loop's wake-up. The frames come
 *     at 30 a second, as from a webcam, so a new card may wait for the
 *     decode of the frame before it. Beside it, bare zbar_scan_image() on
 *     the same frames (the least any reader pays); the ratio is p50 over
 *     bare p50. Skipped, and said, if the emulator was not built.
 *
 * Prints
 *   scan decode: ours A ms/frame, bare zbar B ms/frame, ratio R (goal <= 1.10) ok
 *   scan decode (YUYV): ...
 *   scan latency: frame to main loop p50 X ms, p99 Y ms over N frames (goal < 10 ms) ok
 *   scan device: frame ready to main loop p50 X ms, p99 Y ms, bare zbar ..., ratio R (goal <= 3.00) ok
 * and exits 0 whatever the figures; 1 only if the benchmark could not run
 * or our path read a card bare zbar read differently. */
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zbar.h>

#include "scanner/scanner.h"

#define FRAME_W 640
#define FRAME_H 480
#define FRAMES 40
#define ROUNDS 5
#define LAT_FRAMES 300
#define GOAL_RATIO 1.10
#define GOAL_MS 10.0
#define DEV_SAMPLES 120
#define GOAL_DEVICE_RATIO 3.0
#define EMU_LIB "build/emu/libemu.so"

static const unsigned char SECRET[CARD_SECRET_BYTES] = "the bench shop's secret, 32 byte";
static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static uint64_t rng_state = 0x2545F4914F6CDD1Du;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

static double uniform(void)
{
    return (double)(rng() >> 11) / 9007199254740992.0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_scan: %s\n", what);
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --- frames ---------------------------------------------------------------- */

struct frame {
    char qr[CARD_QR_MAX];
    unsigned char *grey, *yuyv;
};

static void draw(unsigned char *f, const struct qr_symbol *q, double cx, double cy, double module,
                 double angle, int dark, int light)
{
    double c = cos(angle), s = sin(angle), half = qr_full_width(q) * module / 2;
    int reach = (int)ceil(half * 1.5);
    memset(f, light, FRAME_W * FRAME_H);
    for (int y = (int)cy - reach; y < (int)cy + reach; y++)
        for (int x = (int)cx - reach; x < (int)cx + reach; x++) {
            if (x < 0 || y < 0 || x >= FRAME_W || y >= FRAME_H)
                continue;
            int hits = 0;
            for (int sy = 0; sy < 3; sy++)
                for (int sx = 0; sx < 3; sx++) {
                    double dx = x + (sx + 0.5) / 3 - cx, dy = y + (sy + 0.5) / 3 - cy;
                    double u = (c * dx + s * dy + half) / module - QR_QUIET_ZONE;
                    double v = (-s * dx + c * dy + half) / module - QR_QUIET_ZONE;
                    int mx = (int)floor(u), my = (int)floor(v);
                    hits += mx >= 0 && my >= 0 && mx < q->width && my < q->width && q->dark[my * q->width + mx];
                }
            f[y * FRAME_W + x] = (unsigned char)(light - (light - dark) * hits / 9);
        }
}

static void blur_and_noise(unsigned char *f, unsigned char *t)
{
    for (int pass = 0; pass < 2; pass++) {
        memcpy(t, f, FRAME_W * FRAME_H);
        for (int y = 0; y < FRAME_H; y++)
            for (int x = 0; x < FRAME_W; x++) {
                int sum = 0, n = 0;
                for (int k = -1; k <= 1; k++) {
                    int xx = pass ? x : x + k, yy = pass ? y + k : y;
                    if (xx >= 0 && yy >= 0 && xx < FRAME_W && yy < FRAME_H) {
                        sum += t[yy * FRAME_W + xx];
                        n++;
                    }
                }
                f[y * FRAME_W + x] = (unsigned char)(sum / n);
            }
    }
    for (int i = 0; i < FRAME_W * FRAME_H; i++) {
        double z = (uniform() + uniform() + uniform() + uniform() - 2.0) * sqrt(3.0);
        double v = f[i] + z * 6;
        f[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static void make_frames(struct frame *fr)
{
    unsigned char *tmp = malloc(FRAME_W * FRAME_H);
    if (!tmp)
        die("out of memory");
    for (int i = 0; i < FRAMES; i++) {
        char id[CARD_ID_LEN + 1];
        for (int k = 0; k < CARD_ID_LEN; k++)
            id[k] = CROCKFORD[rng() % 32];
        id[CARD_ID_LEN] = '\0';
        struct qr_symbol q;
        if (card_encode(SECRET, id, NULL, fr[i].qr) != 0 || qr_encode(fr[i].qr, &q) != 0)
            die("cannot make a card's QR code");
        fr[i].grey = malloc(FRAME_W * FRAME_H);
        fr[i].yuyv = malloc(2 * FRAME_W * FRAME_H);
        if (!fr[i].grey || !fr[i].yuyv)
            die("out of memory");
        double module = 3.5 + uniform() * 1.5;
        double cx = FRAME_W / 2.0 + (uniform() - 0.5) * 160, cy = FRAME_H / 2.0 + (uniform() - 0.5) * 100;
        double angle = (uniform() - 0.5) * 16 * M_PI / 180;
        draw(fr[i].grey, &q, cx, cy, module, angle, 40, 215);
        blur_and_noise(fr[i].grey, tmp);
        for (int p = 0; p < FRAME_W * FRAME_H; p++) {
            fr[i].yuyv[2 * p] = fr[i].grey[p];
            fr[i].yuyv[2 * p + 1] = (unsigned char)(118 + rng() % 20);  /* chroma near grey */
        }
        qr_free(&q);
    }
    free(tmp);
}

/* --- (a) per-frame cost ---------------------------------------------------------- */

struct ours_ctx { const char *want; int cards; bool other; };

static void ours_found(const char *text, size_t len, void *arg)
{
    struct ours_ctx *c = arg;
    char id[CARD_ID_LEN + 1];
    if (card_parse(text, len, SECRET, id) == CARD_OK && strlen(c->want) == len &&
        memcmp(text, c->want, len) == 0)
        c->cards++;
    else
        c->other = true;
}

static int ours_round(scan_decoder *d, const struct frame *fr, bool yuyv, double *ms)
{
    int read = 0;
    double t0 = now_ms();
    for (int i = 0; i < FRAMES; i++) {
        struct scan_frame f = { .format = yuyv ? SCAN_PIX_YUYV : SCAN_PIX_GREY, .width = FRAME_W,
                                .height = FRAME_H, .data = yuyv ? fr[i].yuyv : fr[i].grey,
                                .len = (yuyv ? 2u : 1u) * FRAME_W * FRAME_H };
        struct ours_ctx c = { fr[i].qr, 0, false };
        if (scan_frame_decode(d, &f, ours_found, &c) < 0)
            die("scan_frame_decode failed");
        if (c.other)
            die("our decode path read a text that is not the frame's card");
        read += c.cards > 0;
    }
    *ms = now_ms() - t0;
    return read;
}

static int bare_round(zbar_image_scanner_t *zs, zbar_image_t *img, const struct frame *fr, double *ms)
{
    int read = 0;
    double t0 = now_ms();
    for (int i = 0; i < FRAMES; i++) {
        zbar_image_set_data(img, fr[i].grey, FRAME_W * FRAME_H, NULL);
        int n = zbar_scan_image(zs, img);
        bool hit = false;
        if (n > 0)
            for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s))
                hit |= strcmp(zbar_symbol_get_data(s), fr[i].qr) == 0;
        read += hit;
    }
    *ms = now_ms() - t0;
    return read;
}

static void cost(const struct frame *fr, bool yuyv)
{
    scan_decoder *d = scan_decoder_new();
    zbar_image_scanner_t *zs = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    if (!d || !zs || !img)
        die("out of memory");
    zbar_image_scanner_set_config(zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, FRAME_W, FRAME_H);
    double ours[ROUNDS], bare[ROUNDS], warm;
    int ours_read = ours_round(d, fr, yuyv, &warm), bare_read = bare_round(zs, img, fr, &warm);
    for (int r = 0; r < ROUNDS; r++) {
        if (ours_round(d, fr, yuyv, &ours[r]) != ours_read || bare_round(zs, img, fr, &bare[r]) != bare_read)
            die("a frame read differently from one round to the next");
    }
    if (ours_read != bare_read)
        die("our decode path and bare zbar read a different number of cards");
    qsort(ours, ROUNDS, sizeof *ours, cmp_double);
    qsort(bare, ROUNDS, sizeof *bare, cmp_double);
    double o = ours[ROUNDS / 2] / FRAMES, b = bare[ROUNDS / 2] / FRAMES, ratio = o / b;
    printf("scan decode%s: ours %.2f ms/frame, bare zbar %.2f ms/frame, ratio %.2f (goal <= %.2f) %s\n",
           yuyv ? " (YUYV)" : "", o, b, ratio, GOAL_RATIO, ratio <= GOAL_RATIO ? "ok" : "above goal");
    if (!yuyv)
        printf("  %d of %d distorted frames read, by both\n", ours_read, FRAMES);
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(zs);
    scan_decoder_free(d);
}

/* --- (b) latency --------------------------------------------------------------- */

static double decode_ms(scan_decoder *d, const struct scan_frame *f)
{
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        double t0 = now_ms();
        if (scan_frame_decode(d, f, NULL, NULL) < 0)
            die("scan_frame_decode failed");
        double t = now_ms() - t0;
        best = t < best ? t : best;
    }
    return best;
}

/* Times LAT_FRAMES frames through the pipeline; with the time our own
 * decode takes on each frame in this thread, what the pipeline adds. */
static void latency(const struct frame *fr, const char *what)
{
    struct scanner_sources src = { .frames = true };
    struct scanner_opts o = { .window_ms = 0 };
    char err[256];
    scanner *sc = scanner_open(&src, &o, err, sizeof err);
    struct scan_event *ev = malloc(sizeof *ev);
    double *lat = malloc(LAT_FRAMES * sizeof *lat), *add = malloc(LAT_FRAMES * sizeof *add);
    scan_decoder *d = scan_decoder_new();
    if (!sc || !ev || !lat || !add || !d)
        die(sc ? "out of memory" : err);
    /* Only frames our path reads are timed (all of them, with these
     * distortions); each one's decode time, alone, for comparison. */
    int usable[FRAMES], nusable = 0;
    double dec[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        struct ours_ctx c = { fr[i].qr, 0, false };
        struct scan_frame f = { .format = SCAN_PIX_YUYV, .width = FRAME_W, .height = FRAME_H,
                                .data = fr[i].yuyv, .len = 2 * FRAME_W * FRAME_H };
        if (scan_frame_decode(d, &f, ours_found, &c) > 0 && c.cards) {
            dec[nusable] = decode_ms(d, &f);
            usable[nusable++] = i;
        }
    }
    scan_decoder_free(d);
    if (nusable == 0)
        die("no frame reads");
    for (int k = 0; k < LAT_FRAMES; k++) {
        const struct frame *f = &fr[usable[k % nusable]];
        struct scan_frame sf = { .format = SCAN_PIX_YUYV, .width = FRAME_W, .height = FRAME_H,
                                 .data = f->yuyv, .len = 2 * FRAME_W * FRAME_H };
        double t0 = now_ms();
        if (scanner_frame(sc, &sf) != 0)
            die("scanner_frame refused a frame, or dropped one");
        struct pollfd p = { .fd = scanner_fd(sc), .events = POLLIN };
        if (poll(&p, 1, 5000) != 1 || scanner_next(sc, ev) != 1)
            die("no code within 5 s of its frame");
        lat[k] = now_ms() - t0;
        add[k] = lat[k] - dec[k % nusable];
        if (ev->kind != SCAN_CODE || strcmp(ev->text, f->qr) != 0)
            die("the pipeline delivered something other than the frame's card");
    }
    qsort(lat, LAT_FRAMES, sizeof *lat, cmp_double);
    qsort(add, LAT_FRAMES, sizeof *add, cmp_double);
    qsort(dec, (size_t)nusable, sizeof *dec, cmp_double);
    double p50 = lat[LAT_FRAMES / 2], p99 = lat[(LAT_FRAMES * 99) / 100];
    printf("scan latency%s: frame to main loop p50 %.2f ms, p99 %.2f ms over %d YUYV frames (goal < %.0f ms) %s\n",
           what, p50, p99, LAT_FRAMES, GOAL_MS, p99 < GOAL_MS ? "ok" : "above goal");
    printf("  of which decoding (scan_frame_decode alone, median) %.2f ms; the pipeline adds p50 %.2f ms, p99 %.2f ms\n",
           dec[nusable / 2], add[LAT_FRAMES / 2], add[(LAT_FRAMES * 99) / 100]);
    free(add);
    free(lat);
    free(ev);
    scanner_close(sc);
}

/* --- (c) latency through the emulated device --------------------------------------- */

/* A figure from the emulator's status file; -1 if it has not said. */
static long emu_status_value(const char *path, const char *name)
{
    FILE *f = fopen(path, "r");
    char key[64];
    long v, found = -1;
    while (f && fscanf(f, "%63s %ld", key, &v) == 2)
        if (strcmp(key, name) == 0)
            found = v;
    if (f)
        fclose(f);
    return found;
}

static void emu_show(const char *control, const char *image)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.new", control);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "formats = YUYV\nfps = 30\nimage = %s\n", image) < 0 || fclose(f) != 0 ||
        rename(tmp, control) != 0)
        die("cannot write the emulator's control file");
}

static double bare_ms(zbar_image_scanner_t *zs, zbar_image_t *img, const unsigned char *grey)
{
    double t0 = now_ms();
    zbar_image_set_data(img, grey, FRAME_W * FRAME_H, NULL);
    zbar_scan_image(zs, img);
    return now_ms() - t0;
}

static void device_latency(const struct frame *fr)
{
    const char *dir = getenv("BENCH_SCAN_DIR"), *control = getenv("EMU_CAMERA_CONTROL"),
               *status = getenv("EMU_STATUS");
    char path[FRAMES][4096];
    for (int i = 0; i < FRAMES; i++) {
        unsigned char *png;
        size_t len;
        snprintf(path[i], sizeof path[i], "%s/frame%02d.png", dir, i);
        FILE *f = fopen(path[i], "wb");
        if (scan_png_write(fr[i].grey, FRAME_W, FRAME_H, 0, &png, &len) != 0 || !f ||
            fwrite(png, 1, len, f) != len || fclose(f) != 0)
            die("cannot write a frame for the emulated camera");
        free(png);
    }
    char blank[4200];
    snprintf(blank, sizeof blank, "%s/none", dir);
    emu_show(control, blank);
    struct scanner_sources src = { .camera = "/dev/video9" };
    struct scanner_opts o = { .window_ms = 0 };
    char err[256];
    scanner *sc = scanner_open(&src, &o, err, sizeof err);
    struct scan_event *ev = malloc(sizeof *ev);
    if (!sc || !ev)
        die(sc ? "out of memory" : err);
    zbar_image_scanner_t *zs = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    zbar_image_scanner_set_config(zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, FRAME_W, FRAME_H);
    double lat[DEV_SAMPLES], bare[DEV_SAMPLES];
    int n = 0;
    long images = emu_status_value(status, "cam_images");
    for (int k = 0; n < DEV_SAMPLES && k < DEV_SAMPLES * 3; k++) {
        const struct frame *f = &fr[k % FRAMES];
        emu_show(control, path[k % FRAMES]);
        /* The card's code in the main loop, past any older card's. */
        bool got = false;
        double t_code = 0;
        double deadline = now_ms() + 5000;
        while (!got && now_ms() < deadline) {
            struct pollfd p = { .fd = scanner_fd(sc), .events = POLLIN };
            if (poll(&p, 1, 100) < 0)
                die("poll failed");
            while (scanner_next(sc, ev) == 1)
                if (!got && ev->kind == SCAN_CODE && strcmp(ev->text, f->qr) == 0) {
                    t_code = now_ms();
                    got = true;
                }
        }
        /* When the emulated driver had the first frame of it ready. */
        long seen = -1;
        for (int w = 0; w < 500 && (seen = emu_status_value(status, "cam_images")) <= images; w++) {
            struct timespec ts = { 0, 1000000 };
            nanosleep(&ts, NULL);
        }
        if (seen <= images)
            die("the emulated camera never showed the frame");
        images = seen;
        if (!got)
            continue;       /* a frame zbar does not read: not timed */
        lat[n] = t_code - emu_status_value(status, "cam_image_us") / 1000.0;
        bare[n] = bare_ms(zs, img, f->grey);
        n++;
    }
    if (n < DEV_SAMPLES / 2)
        die("too few frames read through the emulated camera");
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    qsort(bare, (size_t)n, sizeof *bare, cmp_double);
    double p50 = lat[n / 2], p99 = lat[(n * 99) / 100], b50 = bare[n / 2], b99 = bare[(n * 99) / 100];
    double ratio = p50 / b50;
    printf("scan device: frame ready to main loop p50 %.2f ms, p99 %.2f ms over %d frames "
           "(V4L2 emulated, YUYV 640x480 at 30 fps); bare zbar_scan_image p50 %.2f ms, p99 %.2f ms; "
           "ratio %.2f (goal <= %.2f) %s\n",
           p50, p99, n, b50, b99, ratio, GOAL_DEVICE_RATIO, ratio <= GOAL_DEVICE_RATIO ? "ok" : "above goal");
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(zs);
    free(ev);
    scanner_close(sc);
}

/* Runs the benchmark again with the emulated camera preloaded, in a
 * directory of its own; returns (in the first run) only if the emulator
 * is not there. */
static void under_emulator(char **argv)
{
    if (getenv("BENCH_SCAN_DIR"))
        return;
    if (access(EMU_LIB, R_OK) != 0) {
        printf("scan device: skipped, no %s (make units builds it)\n", EMU_LIB);
        return;
    }
    char dir[] = "/tmp/tally-bench-scan.XXXXXX", lib[4096], buf[4200];
    if (!mkdtemp(dir) || !realpath(EMU_LIB, lib))
        die("cannot make a temporary directory");
    setenv("BENCH_SCAN_DIR", dir, 1);
    setenv("LD_PRELOAD", lib, 1);
    setenv("EMU_CAMERA", "/dev/video9", 1);
    snprintf(buf, sizeof buf, "%s/cam.ctl", dir);
    setenv("EMU_CAMERA_CONTROL", buf, 1);
    snprintf(buf, sizeof buf, "%s/status", dir);
    setenv("EMU_STATUS", buf, 1);
    fflush(stdout);
    execv("/proc/self/exe", argv);
    die("cannot run the benchmark again under the emulated camera");
}

/* Removes the run's directory and what is in it (flat). */
static void remove_dir(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (strncmp(dir, "/tmp/tally-bench-scan.", 22) == 0 && system(cmd) != 0)
        fprintf(stderr, "bench_scan: cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    (void)argc;
    under_emulator(argv);
    struct frame fr[FRAMES];
    make_frames(fr);
    cost(fr, false);
    cost(fr, true);
    latency(fr, "");
    /* The same cards, undistorted: what a card held still in good light
     * costs. */
    for (int i = 0; i < FRAMES; i++) {
        struct qr_symbol q;
        if (qr_encode(fr[i].qr, &q) != 0)
            die("cannot make a card's QR code");
        memset(fr[i].grey, 255, FRAME_W * FRAME_H);
        qr_draw(&q, fr[i].grey, FRAME_W, FRAME_H, 100 + i * 5, 60 + i * 3, 5);
        for (int p = 0; p < FRAME_W * FRAME_H; p++)
            fr[i].yuyv[2 * p] = fr[i].grey[p];
        qr_free(&q);
    }
    latency(fr, " (clean frames)");
    const char *dir = getenv("BENCH_SCAN_DIR");
    if (dir) {
        /* The distorted frames again, as the camera would see them. */
        rng_state = 0x2545F4914F6CDD1Du;
        for (int i = 0; i < FRAMES; i++) {
            free(fr[i].grey);
            free(fr[i].yuyv);
        }
        make_frames(fr);
        device_latency(fr);
        remove_dir(dir);
    }
    for (int i = 0; i < FRAMES; i++) {
        free(fr[i].grey);
        free(fr[i].yuyv);
    }
    return 0;
}
