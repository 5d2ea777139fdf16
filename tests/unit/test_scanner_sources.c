/* test_scanner_sources.c - the camera and wedge sources without a camera
 * or a scanner: synthetic frames in every format the camera pipeline takes
 * (GREY, YUYV, UYVY, NV12, YU12, MJPEG) decode to the card through
 * scanner_frame(), the newest frame wins, a camera or wedge that is not
 * there (or not one) says so once and keeps retrying, and the wedge reader
 * turns struct input_event records written into a pipe into codes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/input.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanner/scanner.h"

#define FRAME_W 640
#define FRAME_H 480

static const unsigned char SECRET[CARD_SECRET_BYTES] = "the test shop's secret, 32 bytes";
static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* --- helpers ---------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Du;
}

/* The QR payload of card number n (ids drawn from n, so always the same). */
static void card_qr(int n, char qr[CARD_QR_MAX])
{
    char id[CARD_ID_LEN + 1];
    unsigned v = (unsigned)n * 2654435761u;
    for (int i = 0; i < CARD_ID_LEN; i++, v = v * 33 + 7)
        id[i] = CROCKFORD[(v >> 7) % 32];
    id[CARD_ID_LEN] = '\0';
    assert_int_equal(card_encode(SECRET, id, NULL, qr), 0);
}

/* A 640x480 grey frame with text's QR drawn at module px a module, its
 * top-left corner at (x, y). */
static unsigned char *grey_frame(const char *text, int module, int x, int y)
{
    struct qr_symbol q;
    assert_int_equal(qr_encode(text, &q), 0);
    unsigned char *g = malloc(FRAME_W * FRAME_H);
    assert_non_null(g);
    memset(g, 255, FRAME_W * FRAME_H);
    qr_draw(&q, g, FRAME_W, FRAME_H, x, y, module);
    qr_free(&q);
    return g;
}

static unsigned char *card_frame(int n, char qr[CARD_QR_MAX])
{
    card_qr(n, qr);
    return grey_frame(qr, 5, 200, 120);
}

/* grey in format fmt, with pad bytes at the end of each luma row; chroma
 * filled with noise, which must not matter. */
static unsigned char *to_format(const unsigned char *grey, enum scan_pixfmt fmt, size_t pad,
                                struct scan_frame *f)
{
    size_t w = FRAME_W, h = FRAME_H;
    bool packed = fmt == SCAN_PIX_YUYV || fmt == SCAN_PIX_UYVY;
    size_t stride = (packed ? 2 * w : w) + pad;
    size_t len = stride * h + (fmt == SCAN_PIX_NV12 || fmt == SCAN_PIX_YU12 ? w * h / 2 : 0);
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)rng();
    for (size_t y = 0; y < h; y++)
        for (size_t x = 0; x < w; x++) {
            unsigned char v = grey[y * w + x];
            if (fmt == SCAN_PIX_YUYV)
                buf[y * stride + 2 * x] = v;
            else if (fmt == SCAN_PIX_UYVY)
                buf[y * stride + 2 * x + 1] = v;
            else
                buf[y * stride + x] = v;
        }
    *f = (struct scan_frame){ .format = fmt, .width = FRAME_W, .height = FRAME_H,
                              .stride = pad ? stride : 0, .data = buf, .len = len };
    return buf;
}

/* A baseline grey JPEG of a frame whose 8x8 blocks are each one shade (a
 * QR at 8 px a module, aligned to the blocks): every block is its DC
 * coefficient and an end-of-block, which a few lines can encode. With
 * dht, small Huffman tables of our own are in the file; without, the
 * decoder must supply the standard ones, as for most webcams' MJPEG. */
struct bits { unsigned char *p; size_t n; unsigned acc; int count; };

static void put_byte(struct bits *b, unsigned v)
{
    b->p[b->n++] = (unsigned char)v;
}

static void put_bits(struct bits *b, unsigned code, int len)
{
    for (int i = len - 1; i >= 0; i--) {
        b->acc = (b->acc << 1) | ((code >> i) & 1);
        if (++b->count == 8) {
            put_byte(b, b->acc & 0xFF);
            if ((b->acc & 0xFF) == 0xFF)
                put_byte(b, 0);      /* byte stuffing */
            b->acc = 0;
            b->count = 0;
        }
    }
}

static size_t jpeg_dc_only(const unsigned char *grey, unsigned char *out, bool dht)
{
    struct bits b = { out, 0, 0, 0 };
    const unsigned w = FRAME_W, h = FRAME_H;
    put_byte(&b, 0xFF), put_byte(&b, 0xD8);
    put_byte(&b, 0xFF), put_byte(&b, 0xDB), put_byte(&b, 0), put_byte(&b, 67), put_byte(&b, 0);
    for (int i = 0; i < 64; i++)
        put_byte(&b, 16);
    const unsigned char sof[] = { 0xFF, 0xC0, 0, 11, 8, h >> 8, h & 0xFF, w >> 8, w & 0xFF, 1, 1, 0x11, 0 };
    for (size_t i = 0; i < sizeof sof; i++)
        put_byte(&b, sof[i]);
    if (dht) {
        /* DC: categories 0-11, 4 bits each. AC: end-of-block only, 1 bit. */
        put_byte(&b, 0xFF), put_byte(&b, 0xC4), put_byte(&b, 0), put_byte(&b, 3 + 16 + 12), put_byte(&b, 0x00);
        for (int i = 1; i <= 16; i++)
            put_byte(&b, i == 4 ? 12 : 0);
        for (int i = 0; i < 12; i++)
            put_byte(&b, (unsigned)i);
        put_byte(&b, 0xFF), put_byte(&b, 0xC4), put_byte(&b, 0), put_byte(&b, 3 + 16 + 1), put_byte(&b, 0x10);
        for (int i = 1; i <= 16; i++)
            put_byte(&b, i == 1);
        put_byte(&b, 0);
    }
    const unsigned char sos[] = { 0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0 };
    for (size_t i = 0; i < sizeof sos; i++)
        put_byte(&b, sos[i]);
    /* The standard luminance DC codes, and AC end-of-block 1010. */
    static const unsigned short dc_code[] = { 0, 2, 3, 4, 5, 6, 14, 30, 62, 126, 254, 510 };
    static const int dc_len[] = { 2, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9 };
    int prev = 0;
    for (unsigned by = 0; by < h / 8; by++)
        for (unsigned bx = 0; bx < w / 8; bx++) {
            int v = grey[by * 8 * w + bx * 8];
            int dc = (8 * (v - 128) + (v >= 128 ? 8 : -8)) / 16;
            int diff = dc - prev, mag = diff < 0 ? -diff : diff, cat = 0;
            prev = dc;
            while (mag >> cat)
                cat++;
            if (dht)
                put_bits(&b, (unsigned)cat, 4);
            else
                put_bits(&b, dc_code[cat], dc_len[cat]);
            if (cat)
                put_bits(&b, (unsigned)(diff < 0 ? diff + (1 << cat) - 1 : diff), cat);
            if (dht)
                put_bits(&b, 0, 1);
            else
                put_bits(&b, 0xA, 4);
        }
    while (b.count)
        put_bits(&b, 1, 1);
    put_byte(&b, 0xFF), put_byte(&b, 0xD9);
    return b.n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next event, waiting on the descriptor as a main loop does; false
 * after ms with none. */
static bool next_event(scanner *sc, struct scan_event *ev, int ms)
{
    int64_t until = now_ms() + ms;
    for (;;) {
        if (scanner_next(sc, ev) == 1)
            return true;
        int64_t left = until - now_ms();
        if (left <= 0)
            return false;
        struct pollfd p = { .fd = scanner_fd(sc), .events = POLLIN };
        poll(&p, 1, (int)left);
    }
}

/* The next event of kind, skipping SCAN_STATUS notes. */
static void expect_event(scanner *sc, struct scan_event *ev, enum scan_kind kind)
{
    do
        if (!next_event(sc, ev, 10000))
            fail_msg("no event of kind %d within 10 s", kind);
    while (ev->kind == SCAN_STATUS && kind != SCAN_STATUS);
    if (ev->kind != kind)
        fail_msg("expected an event of kind %d, got %d: %s", kind, ev->kind, ev->text);
}

/* No event but SCAN_STATUS notes for ms. */
static void expect_quiet(scanner *sc, int ms)
{
    struct scan_event ev;
    int64_t until = now_ms() + ms;
    for (int64_t left; (left = until - now_ms()) > 0;)
        if (next_event(sc, &ev, (int)left) && ev.kind != SCAN_STATUS)
            fail_msg("unexpected event of kind %d: %s", ev.kind, ev.text);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static scanner *open_frames(int window_ms)
{
    struct scanner_sources src = { .frames = true };
    struct scanner_opts o = { .window_ms = window_ms };
    char err[256];
    scanner *sc = scanner_open(&src, &o, err, sizeof err);
    assert_non_null(sc);
    return sc;
}

/* --- frame conversion --------------------------------------------------------- */

static void test_frame_to_grey(void **state)
{
    (void)state;
    char qr[CARD_QR_MAX];
    unsigned char *grey = card_frame(1, qr), *out = malloc(FRAME_W * FRAME_H);
    const enum scan_pixfmt fmts[] = { SCAN_PIX_GREY, SCAN_PIX_YUYV, SCAN_PIX_UYVY, SCAN_PIX_NV12, SCAN_PIX_YU12 };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        for (size_t pad = 0; pad <= 32; pad += 32) {
            struct scan_frame f;
            unsigned char *buf = to_format(grey, fmts[i], pad, &f);
            assert_true(scan_frame_valid(&f));
            memset(out, 7, FRAME_W * FRAME_H);
            assert_int_equal(scan_frame_grey(&f, out), 0);
            if (memcmp(out, grey, FRAME_W * FRAME_H) != 0)
                fail_msg("%s with %zu bytes of padding: luma differs", scan_pixfmt_name(fmts[i]), pad);
            /* One byte short of the last row: refused, nothing read past it. */
            size_t row = fmts[i] == SCAN_PIX_YUYV || fmts[i] == SCAN_PIX_UYVY ? 2 * FRAME_W : FRAME_W;
            f.len = (f.stride ? f.stride : row) * (FRAME_H - 1) + row - 1;
            assert_false(scan_frame_valid(&f));
            assert_int_equal(scan_frame_grey(&f, out), -1);
            free(buf);
        }
    assert_string_equal(scan_pixfmt_name(SCAN_PIX_YUYV), "YUYV");
    assert_string_equal(scan_pixfmt_name(SCAN_PIX_COUNT), "?");
    /* Sizes and strides out of range. */
    struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H, .data = grey,
                            .len = FRAME_W * FRAME_H };
    f.stride = FRAME_W - 1;
    assert_false(scan_frame_valid(&f));
    f.stride = 0;
    f.width = 0;
    assert_false(scan_frame_valid(&f));
    f.width = 100000;
    f.height = 100000;
    assert_false(scan_frame_valid(&f));
    f.width = FRAME_W;
    f.height = FRAME_H;
    f.format = SCAN_PIX_COUNT;
    assert_false(scan_frame_valid(&f));
    assert_false(scan_frame_valid(NULL));
    /* MJPEG: SOI first, EOI last (padding after it is fine), and a frame
     * header of the camera's size; never through scan_frame_grey. */
    unsigned char *jpeg = calloc(1, 1 << 20);
    size_t jlen = jpeg_dc_only(grey, jpeg, true);
    f = (struct scan_frame){ .format = SCAN_PIX_MJPEG, .width = FRAME_W, .height = FRAME_H, .data = jpeg,
                             .len = jlen + 3 };
    assert_true(scan_frame_valid(&f));
    assert_int_equal(scan_frame_grey(&f, out), -1);
    f.width = FRAME_W / 2;          /* zbar would write past its buffer */
    assert_false(scan_frame_valid(&f));
    f.width = FRAME_W;
    f.height = FRAME_H + 8;
    assert_false(scan_frame_valid(&f));
    f.height = FRAME_H;
    f.len = jlen / 2;               /* cut short: no EOI */
    assert_false(scan_frame_valid(&f));
    static const unsigned char no_sof[] = { 0xFF, 0xD8, 0xFF, 0xDA, 0, 2, 0xFF, 0xD9 };
    static const unsigned char bad_len[] = { 0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF, 0xFF, 0xD9 };
    static const unsigned char tiny[] = { 0xFF, 0xD8, 0xFF, 0xD9 };
    const unsigned char *bad[] = { no_sof, bad_len, tiny };
    const size_t bad_n[] = { sizeof no_sof, sizeof bad_len, sizeof tiny };
    for (int i = 0; i < 3; i++) {
        f.data = bad[i];
        f.len = bad_n[i];
        assert_false(scan_frame_valid(&f));
    }
    jpeg[0] = 0;
    f.data = jpeg;
    f.len = jlen;
    assert_false(scan_frame_valid(&f));
    free(jpeg);
    free(out);
    free(grey);
}

/* --- the camera pipeline ------------------------------------------------------ */

/* Every format, handed to the pipeline, decodes to the card it shows. */
static void test_pipeline_formats(void **state)
{
    (void)state;
    scanner *sc = open_frames(0);
    assert_int_equal(scanner_state(sc, SCAN_SRC_CAMERA), SCAN_STATE_ON);
    struct scan_event ev;
    const enum scan_pixfmt fmts[] = { SCAN_PIX_GREY, SCAN_PIX_YUYV, SCAN_PIX_UYVY, SCAN_PIX_NV12, SCAN_PIX_YU12 };
    int card = 10;
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++)
        for (size_t pad = 0; pad <= 64; pad += 64, card++) {
            char qr[CARD_QR_MAX], id[CARD_ID_LEN + 1];
            unsigned char *grey = card_frame(card, qr);
            struct scan_frame f;
            unsigned char *buf = to_format(grey, fmts[i], pad, &f);
            assert_in_range(scanner_frame(sc, &f), 0, 1);
            memset(buf, 0, f.len);     /* the pipeline took a copy */
            expect_event(sc, &ev, SCAN_CODE);
            if (strcmp(ev.text, qr) != 0)
                fail_msg("%s, padding %zu: read '%s', want '%s'", scan_pixfmt_name(fmts[i]), pad, ev.text, qr);
            assert_string_equal(ev.source, "frames");
            assert_int_equal(card_parse(ev.text, ev.len, SECRET, id), CARD_OK);
            free(buf);
            free(grey);
        }
    /* MJPEG, with Huffman tables in the frame and without (webcams leave
     * them out), decompressed by zbar's JPEG reader. */
    for (int dht = 0; dht <= 1; dht++, card++) {
        char qr[CARD_QR_MAX];
        card_qr(card, qr);
        unsigned char *grey = grey_frame(qr, 8, 192, 112);  /* modules on the 8x8 blocks */
        unsigned char *jpeg = malloc(1 << 20);
        size_t len = jpeg_dc_only(grey, jpeg, dht);
        struct scan_frame f = { .format = SCAN_PIX_MJPEG, .width = FRAME_W, .height = FRAME_H, .data = jpeg, .len = len };
        assert_true(scan_frame_valid(&f));
        assert_in_range(scanner_frame(sc, &f), 0, 1);
        expect_event(sc, &ev, SCAN_CODE);
        assert_string_equal(ev.text, qr);
        free(jpeg);
        free(grey);
    }
    /* A blank frame says nothing; a bad one is refused and counted. */
    unsigned char *blank = malloc(FRAME_W * FRAME_H);
    memset(blank, 200, FRAME_W * FRAME_H);
    struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H, .data = blank,
                            .len = FRAME_W * FRAME_H };
    assert_in_range(scanner_frame(sc, &f), 0, 1);
    f.len--;
    assert_int_equal(scanner_frame(sc, &f), -1);
    expect_quiet(sc, 100);
    struct scanner_stats st;
    scanner_stats(sc, &st);
    assert_int_equal(st.frames, (uint64_t)card - 10 + 1);
    assert_int_equal(st.bad, 1);
    assert_int_equal(st.decoded + st.dropped, st.frames);
    free(blank);
    scanner_close(sc);

    /* A scanner without a camera pipeline takes no frames. */
    char err[256];
    sc = scanner_open_images(NULL, 0, NULL, err, sizeof err);
    assert_int_equal(scanner_frame(sc, &f), -1);
    expect_event(sc, &ev, SCAN_END);
    scanner_close(sc);
}

/* Frames handed in faster than they decode: the waiting one is replaced,
 * never queued, and the newest is the one read last. */
static void test_newest_frame_wins(void **state)
{
    (void)state;
    enum { CARDS = 6, FRAMES = 120 };
    char qr[CARDS + 1][CARD_QR_MAX];
    unsigned char *frames[CARDS + 1];
    for (int i = 0; i <= CARDS; i++)
        frames[i] = card_frame(100 + i, qr[i]);
    scanner *sc = open_frames(0);
    int dropped = 0;
    for (int i = 0; i < FRAMES; i++) {
        int n = i == FRAMES - 1 ? CARDS : i % CARDS;  /* the last frame shows its own card */
        struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H,
                                .data = frames[n], .len = FRAME_W * FRAME_H };
        int r = scanner_frame(sc, &f);
        assert_in_range(r, 0, 1);
        dropped += r;
    }
    /* Codes come in the order of their frames, the last frame's last. */
    struct scan_event ev;
    int codes = 0, last = -1;
    do {
        expect_event(sc, &ev, SCAN_CODE);
        int n = 0;
        while (n <= CARDS && strcmp(ev.text, qr[n]) != 0)
            n++;
        assert_true(n <= CARDS);
        codes++;
        last = n;
    } while (last != CARDS);
    expect_quiet(sc, 50);
    struct scanner_stats st;
    scanner_stats(sc, &st);
    assert_int_equal(st.frames, FRAMES);
    assert_int_equal(st.dropped, (uint64_t)dropped);
    assert_int_equal(st.decoded + st.dropped, FRAMES);
    assert_int_equal(st.decoded, (uint64_t)codes);
    /* A decode takes milliseconds and a hand-over microseconds. */
    assert_true(dropped > FRAMES / 2);
    scanner_close(sc);
    for (int i = 0; i <= CARDS; i++)
        free(frames[i]);
}

/* A card held under the camera is one scan within the window. */
static void test_pipeline_dedupe(void **state)
{
    (void)state;
    char qr[CARD_QR_MAX];
    unsigned char *grey = card_frame(7, qr);
    struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H, .data = grey,
                            .len = FRAME_W * FRAME_H };
    scanner *sc = open_frames(2000);
    struct scan_event ev;
    struct scanner_stats st;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(scanner_frame(sc, &f), 0);
        if (i == 0)
            expect_event(sc, &ev, SCAN_CODE);
        for (int64_t until = now_ms() + 5000; now_ms() < until; usleep(1000)) {
            scanner_stats(sc, &st);
            if (st.decoded == (uint64_t)i + 1)
                break;
        }
    }
    scanner_stats(sc, &st);
    assert_int_equal(st.decoded, 4);
    expect_quiet(sc, 50);
    scanner_close(sc);
    free(grey);
}

/* Waits until a source is in state st. */
static void wait_state(scanner *sc, enum scan_source src, enum scan_state st)
{
    for (int64_t until = now_ms() + 5000; now_ms() < until; usleep(1000))
        if (scanner_state(sc, src) == st)
            return;
    fail_msg("source %d not in state %d within 5 s", src, st);
}

/* --- the camera's failures ----------------------------------------------------- */

/* Waits until the source has been tried n times. */
static void wait_tries(scanner *sc, enum scan_source src, uint64_t n)
{
    struct scanner_stats st;
    for (int64_t until = now_ms() + 5000; now_ms() < until; usleep(2000)) {
        scanner_stats(sc, &st);
        if ((src == SCAN_SRC_CAMERA ? st.camera_tries : st.wedge_tries) >= n)
            return;
    }
    fail_msg("the source was not tried %" PRIu64 " times in 5 s", n);
}

static void check_failing(enum scan_source which, const char *path, const char *why,
                          enum scan_state state, const char *status)
{
    int fds = open_fds();
    struct scanner_sources src = { 0 };
    if (which == SCAN_SRC_CAMERA)
        src.camera = path;
    else
        src.wedge = path;
    struct scanner_opts o = { .window_ms = 2000, .retry_ms = 20 };
    char err[256], buf[128];
    scanner *sc = scanner_open(&src, &o, err, sizeof err);
    assert_non_null(sc);
    struct scan_event ev;
    expect_event(sc, &ev, SCAN_ERROR);
    if (!strstr(ev.text, why) || !strstr(ev.text, path) || !strstr(ev.text, "retrying every 1 s"))
        fail_msg("%s: expected '%s' in: %s", path, why, ev.text);
    assert_string_equal(ev.source, path);
    /* Tried again and again, and said only once. */
    wait_tries(sc, which, 4);
    assert_int_equal(scanner_state(sc, which), state);
    assert_string_equal(scanner_status(sc, buf, sizeof buf), status);
    expect_quiet(sc, 60);
    /* Meanwhile the camera pipeline takes frames as ever. */
    if (which == SCAN_SRC_CAMERA) {
        char qr[CARD_QR_MAX];
        unsigned char *grey = card_frame(3, qr);
        struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H, .data = grey,
                                .len = FRAME_W * FRAME_H };
        assert_in_range(scanner_frame(sc, &f), 0, 1);
        expect_event(sc, &ev, SCAN_CODE);
        assert_string_equal(ev.text, qr);
        assert_string_equal(ev.source, path);
        free(grey);
    }
    scanner_close(sc);
    assert_int_equal(open_fds(), fds);  /* nothing left open */
}

static void test_camera_failures(void **state)
{
    (void)state;
    char dir[] = "/tmp/tally-test-sources-XXXXXX", file[64], missing[64];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/notes.txt", dir);
    snprintf(missing, sizeof missing, "%s/video9", dir);
    FILE *fp = fopen(file, "w");
    fputs("not a camera\n", fp);
    fclose(fp);
    check_failing(SCAN_SRC_CAMERA, "/dev/null", "is not a camera", SCAN_STATE_FAILED, "camera unusable; retrying");
    check_failing(SCAN_SRC_CAMERA, missing, "not found", SCAN_STATE_MISSING, "camera missing; retrying");
    check_failing(SCAN_SRC_CAMERA, file, "is not a camera", SCAN_STATE_FAILED, "camera unusable; retrying");
    check_failing(SCAN_SRC_CAMERA, dir, "is not a camera", SCAN_STATE_FAILED, "camera unusable; retrying");
    check_failing(SCAN_SRC_WEDGE, "/dev/null", "is not an input device", SCAN_STATE_FAILED, "wedge unusable; retrying");
    check_failing(SCAN_SRC_WEDGE, missing, "not found", SCAN_STATE_MISSING, "wedge missing; retrying");
    check_failing(SCAN_SRC_WEDGE, dir, "is not an input device", SCAN_STATE_FAILED, "wedge unusable; retrying");
    unlink(file);
    rmdir(dir);

    /* Closing at once, while the threads are mid-try, joins cleanly. */
    for (int i = 0; i < 20; i++) {
        struct scanner_sources src = { .camera = "/dev/null", .wedge = "/dev/null" };
        char err[256];
        scanner *sc = scanner_open(&src, NULL, err, sizeof err);
        assert_non_null(sc);
        if (i % 2)
            usleep(500);
        scanner_close(sc);
    }
}

/* --- the wedge ------------------------------------------------------------------ */

/* Key events in a buffer, as a device delivers them. */
struct keys { struct input_event ev[2048]; size_t n; long ms; };

static void ev_add(struct keys *k, unsigned type, unsigned code, int value)
{
    assert_true(k->n < sizeof k->ev / sizeof k->ev[0]);
    struct input_event *e = &k->ev[k->n++];
    memset(e, 0, sizeof *e);
    e->input_event_sec = k->ms / 1000;
    e->input_event_usec = (k->ms % 1000) * 1000;
    e->type = (unsigned short)type;
    e->code = (unsigned short)code;
    e->value = value;
}

static void key(struct keys *k, unsigned code, bool shift)
{
    if (shift)
        ev_add(k, EV_KEY, KEY_LEFTSHIFT, 1);
    ev_add(k, EV_MSC, MSC_SCAN, 0x70004);
    ev_add(k, EV_KEY, code, 1);
    ev_add(k, EV_SYN, SYN_REPORT, 0);
    ev_add(k, EV_KEY, code, 0);
    if (shift)
        ev_add(k, EV_KEY, KEY_LEFTSHIFT, 0);
    ev_add(k, EV_SYN, SYN_REPORT, 0);
    k->ms += 4;   /* a scanner types a key every few ms */
}

/* Types text as a US keyboard would, then Enter. */
static void type_line(struct keys *k, const char *text)
{
    static const char *const rows[] = { "1234567890-=", "qwertyuiop[]", "asdfghjkl;'`", "\\zxcvbnm,./" };
    static const char *const shifted[] = { "!@#$%^&*()_+", "QWERTYUIOP{}", "ASDFGHJKL:\"~", "|ZXCVBNM<>?" };
    static const unsigned first[] = { KEY_1, KEY_Q, KEY_A, KEY_BACKSLASH };
    for (const char *p = text; *p; p++) {
        bool done = false;
        for (int r = 0; r < 4 && !done; r++) {
            const char *at = strchr(rows[r], *p);
            const char *sat = strchr(shifted[r], *p);
            unsigned base = first[r];
            /* KEY_BACKSLASH (43) sits before KEY_Z (44) in the last row. */
            if (at) {
                key(k, base + (unsigned)(at - rows[r]), false);
                done = true;
            } else if (sat) {
                key(k, base + (unsigned)(sat - shifted[r]), true);
                done = true;
            }
        }
        if (!done && *p == ' ') {
            key(k, KEY_SPACE, false);
            done = true;
        }
        assert_true(done);
    }
    key(k, KEY_ENTER, false);
}

static int feed_all(struct scan_keys *sk, const struct keys *k, char lines[][SCAN_TEXT_MAX], int max)
{
    int n = 0;
    for (size_t i = 0; i < k->n; i++) {
        const struct input_event *e = &k->ev[i];
        int64_t ms = (int64_t)e->input_event_sec * 1000 + e->input_event_usec / 1000;
        if (scan_keys_feed(sk, e->type, e->code, e->value, ms) == 1) {
            assert_true(n < max);
            assert_int_equal(strlen(sk->line), sk->len);
            snprintf(lines[n++], SCAN_TEXT_MAX, "%s", sk->line);
        }
    }
    return n;
}

static void test_keys_to_text(void **state)
{
    (void)state;
    struct scan_keys sk;
    char lines[8][SCAN_TEXT_MAX];
    struct keys *k = calloc(1, sizeof *k);
    k->ms = 1000;
    /* Every character of the US layout, plain and shifted. */
    const char *all = "1234567890-= qwertyuiop[] asdfghjkl;'` \\zxcvbnm,./ !@#$%^&*()_+ "
                      "QWERTYUIOP{} ASDFGHJKL:\"~ |ZXCVBNM<>?";
    type_line(k, all);
    type_line(k, "TALLY:YGE8YSD4HTCY2JBXGYBE");
    scan_keys_init(&sk);
    assert_int_equal(feed_all(&sk, k, lines, 8), 2);
    assert_string_equal(lines[0], all);
    assert_string_equal(lines[1], "TALLY:YGE8YSD4HTCY2JBXGYBE");

    /* Caps Lock flips letters only; the keypad types digits; keypad Enter
     * ends a line; Ctrl and Alt chords, repeats, F-keys, arrows, unknown
     * codes and other event types type nothing; Backspace takes one back;
     * Enter on an empty line is no line. */
    k->n = 0;
    key(k, KEY_ENTER, false);
    key(k, KEY_CAPSLOCK, false);
    key(k, KEY_A, false);
    key(k, KEY_B, true);
    key(k, KEY_1, false);
    key(k, KEY_CAPSLOCK, false);
    key(k, KEY_C, false);
    key(k, KEY_KP7, false);
    key(k, KEY_KPMINUS, false);
    ev_add(k, EV_KEY, KEY_LEFTCTRL, 1);
    key(k, KEY_D, false);
    ev_add(k, EV_KEY, KEY_LEFTCTRL, 0);
    ev_add(k, EV_KEY, KEY_RIGHTALT, 1);
    key(k, KEY_E, false);
    ev_add(k, EV_KEY, KEY_RIGHTALT, 0);
    ev_add(k, EV_KEY, KEY_F, 1);
    ev_add(k, EV_KEY, KEY_F, 2);     /* held: a repeat */
    ev_add(k, EV_KEY, KEY_F, 0);
    key(k, KEY_F1, false);
    key(k, KEY_UP, false);
    key(k, KEY_LEFTMETA, false);
    key(k, 0x2ff, false);
    key(k, 0xffff, false);
    ev_add(k, EV_REL, REL_X, 5);
    ev_add(k, EV_KEY, KEY_G, 7);     /* not a key state */
    key(k, KEY_X, false);
    key(k, KEY_BACKSPACE, false);
    key(k, KEY_KPENTER, false);
    scan_keys_init(&sk);
    assert_int_equal(feed_all(&sk, k, lines, 8), 1);
    assert_string_equal(lines[0], "Ab1c7-f");

    /* Right Shift works as well as left. */
    k->n = 0;
    ev_add(k, EV_KEY, KEY_RIGHTSHIFT, 1);
    key(k, KEY_SEMICOLON, false);
    ev_add(k, EV_KEY, KEY_RIGHTSHIFT, 0);
    key(k, KEY_SEMICOLON, false);
    key(k, KEY_ENTER, false);
    scan_keys_init(&sk);
    assert_int_equal(feed_all(&sk, k, lines, 8), 1);
    assert_string_equal(lines[0], ":;");

    /* A scanner set to a German keyboard: Y and Z swapped, ':' is Shift
     * and '.'; to a French one: A and Q, Z and W swapped, ':' unshifted,
     * digits with Shift. A card's text is read in its layout; anything
     * else stays as US reads it. */
    static const struct { unsigned code; bool shift; } de[] = {
        { KEY_T, 1 }, { KEY_A, 1 }, { KEY_L, 1 }, { KEY_L, 1 }, { KEY_Z, 1 }, { KEY_DOT, 1 },
        { KEY_Z, 1 }, { KEY_G, 1 }, { KEY_Y, 1 }, { KEY_8, 0 },
    }, fr[] = {
        { KEY_T, 1 }, { KEY_Q, 1 }, { KEY_L, 1 }, { KEY_L, 1 }, { KEY_Y, 1 }, { KEY_DOT, 0 },
        { KEY_Y, 1 }, { KEY_A, 1 }, { KEY_W, 1 }, { KEY_8, 1 },
    };
    k->n = 0;
    for (size_t i = 0; i < sizeof de / sizeof de[0]; i++)
        key(k, de[i].code, de[i].shift);
    key(k, KEY_ENTER, false);
    for (size_t i = 0; i < sizeof fr / sizeof fr[0]; i++)
        key(k, fr[i].code, fr[i].shift);
    key(k, KEY_ENTER, false);
    type_line(k, "TALL:Y");
    scan_keys_init(&sk);
    assert_int_equal(feed_all(&sk, k, lines, 8), 3);
    assert_string_equal(lines[0], "TALLY:YGZ8");
    assert_string_equal(lines[1], "TALLY:YQZ8");
    assert_string_equal(lines[2], "TALL:Y");     /* no layout makes it a card */
    assert_string_equal(sk.layout, "us");

    /* A read cut short, then a pause: the half line is thrown away. */
    k->n = 0;
    key(k, KEY_X, false);
    key(k, KEY_Y, false);
    k->ms += SCAN_KEYS_GAP_MS + 1;
    type_line(k, "abc");
    scan_keys_init(&sk);
    assert_int_equal(feed_all(&sk, k, lines, 8), 1);
    assert_string_equal(lines[0], "abc");

    /* Longer than a line holds: kept up to the limit, flagged. */
    scan_keys_init(&sk);
    for (int i = 0; i < SCAN_TEXT_MAX + 10; i++)
        assert_int_equal(scan_keys_feed(&sk, EV_KEY, KEY_Z, 1, 0), 0);
    assert_int_equal(scan_keys_feed(&sk, EV_KEY, KEY_ENTER, 1, 0), 1);
    assert_true(sk.truncated);
    assert_int_equal(sk.len, SCAN_TEXT_MAX - 1);
    /* And the next line starts afresh. */
    scan_keys_feed(&sk, EV_KEY, KEY_Z, 1, 0);
    assert_int_equal(scan_keys_feed(&sk, EV_KEY, KEY_ENTER, 1, 0), 1);
    assert_false(sk.truncated);
    assert_string_equal(sk.line, "z");
    free(k);
}

static void write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        assert_true(w > 0);
        p += w;
        len -= (size_t)w;
    }
}

/* A wedge scanner reading a pipe through /dev/fd/N. */
static scanner *open_wedge_pipe(int p[2], int window_ms, char *path, size_t pathsz)
{
    assert_int_equal(pipe(p), 0);
    snprintf(path, pathsz, "/dev/fd/%d", p[0]);
    struct scanner_sources src = { .wedge = path };
    struct scanner_opts o = { .window_ms = window_ms };
    char err[256];
    scanner *sc = scanner_open(&src, &o, err, sizeof err);
    assert_non_null(sc);
    struct scan_event ev;
    expect_event(sc, &ev, SCAN_STATUS);   /* "wedge scanner /dev/fd/N on" */
    assert_non_null(strstr(ev.text, path));
    assert_int_equal(scanner_state(sc, SCAN_SRC_WEDGE), SCAN_STATE_ON);
    return sc;
}

static void test_wedge_pipe(void **state)
{
    (void)state;
    int fds = open_fds();
    int p[2];
    char path[64], a[CARD_QR_MAX], b[CARD_QR_MAX], id[CARD_ID_LEN + 1];
    card_qr(21, a);
    card_qr(22, b);
    scanner *sc = open_wedge_pipe(p, 2000, path, sizeof path);
    struct keys *k = calloc(1, sizeof *k);
    struct scan_event ev;

    /* A code with Shift characters (capitals, ':'), and Enter. */
    type_line(k, a);
    write_all(p[1], k->ev, k->n * sizeof k->ev[0]);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, a);
    assert_string_equal(ev.source, path);
    assert_int_equal(card_parse(ev.text, ev.len, SECRET, id), CARD_OK);

    /* Two codes in a row in one write, with garbage between them, and the
     * records split across writes at odd places. */
    k->n = 0;
    char human[CARD_HUMAN_MAX];
    assert_int_equal(card_encode(SECRET, id, human, NULL), 0);
    type_line(k, b);
    key(k, KEY_F5, false);
    key(k, 0x2ff, false);
    ev_add(k, EV_REL, REL_WHEEL, -1);
    type_line(k, "yge8-ysd4");    /* typed lower case: still a line, refused by card_parse */
    const unsigned char *bytes = (const unsigned char *)k->ev;
    size_t len = k->n * sizeof k->ev[0];
    write_all(p[1], bytes, 5);
    usleep(2000);
    write_all(p[1], bytes + 5, 30);
    usleep(2000);
    write_all(p[1], bytes + 35, len - 35);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, b);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, "yge8-ysd4");
    assert_int_equal(card_parse(ev.text, ev.len, SECRET, NULL), CARD_NOT_TALLY);

    /* The same card again within the window: one scan. Its human form is
     * another text, so it counts. */
    k->n = 0;
    type_line(k, a);
    type_line(k, human);
    write_all(p[1], k->ev, k->n * sizeof k->ev[0]);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, human);
    assert_int_equal(card_parse(ev.text, ev.len, SECRET, NULL), CARD_OK);
    expect_quiet(sc, 50);

    /* The writer goes: the input has ended, and so has the scanner. */
    close(p[1]);
    expect_event(sc, &ev, SCAN_END);
    assert_int_equal(scanner_state(sc, SCAN_SRC_WEDGE), SCAN_STATE_DONE);
    char buf[128];
    assert_string_equal(scanner_status(sc, buf, sizeof buf), "wedge input ended");
    scanner_close(sc);
    close(p[0]);

    /* Without a window, every read counts. */
    sc = open_wedge_pipe(p, 0, path, sizeof path);
    k->n = 0;
    type_line(k, a);
    type_line(k, a);
    write_all(p[1], k->ev, k->n * sizeof k->ev[0]);
    expect_event(sc, &ev, SCAN_CODE);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, a);
    /* Closing while the thread waits for keys joins it. */
    scanner_close(sc);
    close(p[0]);
    close(p[1]);
    free(k);
    assert_int_equal(open_fds(), fds);
}

/* Sources together: images and a wedge end, then the scanner ends; with
 * a camera pipeline it never does. */
static void test_sources_together(void **state)
{
    (void)state;
    char dir[] = "/tmp/tally-test-sources-XXXXXX", png_path[64], qr[CARD_QR_MAX], w[CARD_QR_MAX];
    assert_non_null(mkdtemp(dir));
    snprintf(png_path, sizeof png_path, "%s/card.png", dir);
    unsigned char *grey = card_frame(31, qr), *png;
    size_t len;
    assert_int_equal(scan_png_write(grey, FRAME_W, FRAME_H, 0, &png, &len), 0);
    FILE *fp = fopen(png_path, "wb");
    fwrite(png, 1, len, fp);
    fclose(fp);
    card_qr(32, w);

    int p[2];
    assert_int_equal(pipe(p), 0);
    char path[64], buf[128];
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    const char *images[] = { png_path };
    struct scanner_sources src = { .images = images, .nimages = 1, .wedge = path };
    char err[256];
    scanner *sc = scanner_open(&src, NULL, err, sizeof err);
    assert_non_null(sc);
    struct scan_event ev;
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, qr);
    /* The images are read; the wedge still runs: no end yet. */
    expect_quiet(sc, 50);
    wait_state(sc, SCAN_SRC_WEDGE, SCAN_STATE_ON);
    assert_int_equal(scanner_state(sc, SCAN_SRC_IMAGES), SCAN_STATE_DONE);
    assert_string_equal(scanner_status(sc, buf, sizeof buf), "wedge on, images read");
    struct keys *k = calloc(1, sizeof *k);
    type_line(k, w);
    write_all(p[1], k->ev, k->n * sizeof k->ev[0]);
    close(p[1]);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, w);
    expect_event(sc, &ev, SCAN_END);
    scanner_close(sc);
    close(p[0]);

    /* The same card from the camera and the wedge within the window is
     * one scan: the window is the scanner's, not a source's. */
    assert_int_equal(pipe(p), 0);
    snprintf(path, sizeof path, "/dev/fd/%d", p[0]);
    struct scanner_sources both = { .frames = true, .wedge = path };
    sc = scanner_open(&both, NULL, err, sizeof err);
    assert_string_equal(scanner_status(sc, buf, 0), "");
    struct scan_frame f = { .format = SCAN_PIX_GREY, .width = FRAME_W, .height = FRAME_H, .data = grey,
                            .len = FRAME_W * FRAME_H };
    assert_in_range(scanner_frame(sc, &f), 0, 1);
    expect_event(sc, &ev, SCAN_CODE);
    assert_string_equal(ev.text, qr);
    k->n = 0;
    type_line(k, qr);
    write_all(p[1], k->ev, k->n * sizeof k->ev[0]);
    close(p[1]);
    expect_quiet(sc, 100);
    wait_state(sc, SCAN_SRC_WEDGE, SCAN_STATE_DONE);
    assert_string_equal(scanner_status(sc, buf, sizeof buf), "camera on, wedge input ended");
    scanner_close(sc);
    close(p[0]);

    /* No source at all: the end at once. */
    sc = scanner_open(NULL, NULL, err, sizeof err);
    expect_event(sc, &ev, SCAN_END);
    assert_string_equal(scanner_status(sc, buf, sizeof buf), "");
    assert_int_equal(scanner_state(sc, SCAN_SRC_CAMERA), SCAN_STATE_OFF);
    scanner_close(sc);

    free(k);
    free(png);
    free(grey);
    unlink(png_path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_to_grey),
        cmocka_unit_test(test_pipeline_formats),
        cmocka_unit_test(test_newest_frame_wins),
        cmocka_unit_test(test_pipeline_dedupe),
        cmocka_unit_test(test_camera_failures),
        cmocka_unit_test(test_keys_to_text),
        cmocka_unit_test(test_wedge_pipe),
        cmocka_unit_test(test_sources_together),
    };
    return cmocka_run_group_tests_name("scanner_sources", tests, NULL, NULL);
}
