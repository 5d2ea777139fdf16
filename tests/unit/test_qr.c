/* test_qr.c - QR symbols, printed cards, the decode path, image loaders
 * and the scanner object; real-world frames: a card's QR rotated, shrunk,
 * blurred, noisy, faint and off-centre, with the decode rate of each
 * distortion printed; and the second decoder (zxing-cpp) on photos zbar
 * misses and on garbage. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <png.h>

#include "scanner/scanner.h"
#include "tests/card_photos.h"

#define FRAME_W 640
#define FRAME_H 480

static const unsigned char SECRET[CARD_SECRET_BYTES] = "the test shop's secret, 32 bytes";
static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* --- helpers ---------------------------------------------------------------- */

/* xorshift64*: seeded, so every run draws the same codes and noise. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static void rng_seed(uint64_t seed)
{
    rng_state = seed ? seed : 1;
}

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

/* A card's QR payload with an id drawn from the PRNG. */
static void random_payload(char qr[CARD_QR_MAX], char human[CARD_HUMAN_MAX])
{
    char id[CARD_ID_LEN + 1];
    for (int i = 0; i < CARD_ID_LEN; i++)
        id[i] = CROCKFORD[rng() % 32];
    id[CARD_ID_LEN] = '\0';
    assert_int_equal(card_encode(SECRET, id, human, qr), 0);
}

struct found { int n; char text[SCAN_TEXT_MAX]; };

static void remember(const char *text, size_t len, void *arg)
{
    struct found *f = arg;
    if (f->n++ == 0)
        snprintf(f->text, sizeof f->text, "%.*s", (int)len, text);
}

/* Does the frame decode to exactly text? */
static bool decodes_to(scan_decoder *d, const unsigned char *grey, int w, int h, const char *text)
{
    struct found f = { 0 };
    int n = scan_decode(d, grey, w, h, remember, &f);
    return n >= 1 && strcmp(f.text, text) == 0;
}

static bool contains(const unsigned char *hay, size_t n, const unsigned char *needle, size_t m)
{
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return true;
    return false;
}

static char *tmp_dir(void)
{
    char *dir = strdup("/tmp/tally-test-qr-XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void rm_dir(char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* A symbol's plain raster with its quiet zone, px pixels a module. */
static unsigned char *raster(const struct qr_symbol *q, int px, int *side)
{
    *side = qr_full_width(q) * px;
    unsigned char *g = malloc((size_t)*side * (size_t)*side);
    assert_non_null(g);
    qr_draw(q, g, *side, *side, 0, 0, px);
    return g;
}

/* --- symbols ------------------------------------------------------------------ */

static void test_round_trip_many_codes(void **state)
{
    (void)state;
    scan_decoder *d = scan_decoder_new();
    assert_non_null(d);
    rng_seed(1);
    for (int i = 0; i < 200; i++) {
        char qr[CARD_QR_MAX], human[CARD_HUMAN_MAX];
        random_payload(qr, human);
        struct qr_symbol q;
        assert_int_equal(qr_encode(qr, &q), 0);
        /* A card payload is alphanumeric: version 2 at level Q. */
        assert_int_equal(q.version, 2);
        assert_int_equal(q.width, 25);
        assert_true(q.level == 'Q');
        int side;
        unsigned char *g = raster(&q, 3, &side);
        assert_true(decodes_to(d, g, side, side, qr));
        /* And what it decodes to is a genuine card again. */
        char id[CARD_ID_LEN + 1];
        assert_int_equal(card_parse(qr, strlen(qr), SECRET, id), CARD_OK);
        free(g);
        qr_free(&q);
    }
    scan_decoder_free(d);
}

/* Each of the 48 variants - other levels, versions and the masks made by
 * rewriting the symbol - must be a valid symbol of the same text. */
static void test_every_variant_decodes(void **state)
{
    (void)state;
    scan_decoder *d = scan_decoder_new();
    const char *texts[] = { "TALLY:YGE8YSD4HTCY2JBXGYBE", "https://example.com/a?b=c" };
    for (size_t t = 0; t < 2; t++) {
        bool masks[3][8] = { { false } };
        for (int n = 0; n < QR_VARIANTS; n++) {
            struct qr_symbol q;
            assert_int_equal(qr_variant(texts[t], n, &q), 0);
            assert_in_range(q.mask, 0, 7);
            masks[n / 16][q.mask] = true;
            int side;
            unsigned char *g = raster(&q, 3, &side);
            if (!decodes_to(d, g, side, side, texts[t]))
                fail_msg("variant %d (level %c, version %d, mask %d) does not decode", n, q.level,
                         q.version, q.mask);
            free(g);
            qr_free(&q);
        }
        for (int l = 0; l < 3; l++)
            for (int m = 0; m < 8; m++)
                assert_true(masks[l][m]);
    }
    struct qr_symbol q;
    assert_int_equal(qr_variant(texts[0], QR_VARIANTS, &q), -1);
    assert_int_equal(qr_variant(texts[0], -1, &q), -1);
    assert_int_equal(qr_variant("", 0, &q), -1);
    scan_decoder_free(d);
}

static void test_draw_clips(void **state)
{
    (void)state;
    struct qr_symbol q;
    assert_int_equal(qr_encode("TALLY:YGE8YSD4HTCY2JBXGYBE", &q), 0);
    unsigned char g[50 * 40];
    memset(g, 7, sizeof g);
    qr_draw(&q, g, 50, 40, -30, -20, 2); /* mostly outside: must not write out of bounds */
    qr_draw(&q, g, 50, 40, 45, 35, 2);
    qr_free(&q);
}

/* --- terminal and SVG ------------------------------------------------------------ */

static void test_terminal_quiet_zone_and_size(void **state)
{
    (void)state;
    struct qr_symbol q;
    assert_int_equal(qr_encode("TALLY:YGE8YSD4HTCY2JBXGYBE", &q), 0);
    int full = qr_full_width(&q); /* 25 + 2 * 4 */
    assert_int_equal(full, 33);
    char *t = qr_render_term(&q, false);
    assert_non_null(t);
    int lines = 0;
    for (char *line = t, *nl; (nl = strchr(line, '\n')); line = nl + 1, lines++) {
        /* Every line is full columns wide: one character a module. */
        int cols = 0;
        for (char *p = line; p < nl; p++)
            cols += ((unsigned char)*p & 0xC0) != 0x80;
        assert_int_equal(cols, full);
        /* The quiet zone: two blank lines top and bottom, four blank
         * columns left and right. */
        if (lines < 2 || lines >= (full + 1) / 2 - 2)
            assert_int_equal(strspn(line, " "), (size_t)full);
        else {
            assert_true(strncmp(line, "    ", 4) == 0);
            assert_true(strncmp(nl - 4, "    ", 4) == 0);
        }
        assert_null(strchr(line, '\x1b'));
    }
    assert_int_equal(lines, (full + 1) / 2);
    /* Finder pattern: the top row of the symbol is seven dark modules. */
    const char *row2 = strchr(strchr(t, '\n') + 1, '\n') + 1;
    assert_true(strncmp(row2 + 4, "\xe2\x96\x88\xe2\x96\x80\xe2\x96\x80", 9) == 0);
    free(t);

    t = qr_render_term(&q, true);
    assert_non_null(t);
    assert_true(strncmp(t, "\x1b[", 2) == 0);
    assert_non_null(strstr(t, "\x1b[0m\n"));
    free(t);

    struct card_face face = { .shop = "Pod Lipą", .human = "YGE8-YSD4-HTCY-2JBX-GYBE",
                              .qr = "TALLY:YGE8YSD4HTCY2JBXGYBE" };
    char err[256];
    assert_int_equal(card_render_term(&face, false, &t, err, sizeof err), 0);
    assert_non_null(strstr(t, "Pod Lipą\n"));
    assert_non_null(strstr(t, "YGE8-YSD4-HTCY-2JBX-GYBE\n"));
    free(t);
    qr_free(&q);
}

static void test_svg(void **state)
{
    (void)state;
    struct card_face face = { .shop = "Ciocolată <Tom> & \"Jerry's\"", .human = "YGE8-YSD4-HTCY-2JBX-GYBE",
                              .qr = "TALLY:YGE8YSD4HTCY2JBXGYBE", .holder = "Ana <Maria>" };
    char *svg, err[256];
    assert_int_equal(card_render_svg(&face, &svg, err, sizeof err), 0);
    assert_true(strncmp(svg, "<svg ", 5) == 0);
    assert_non_null(strstr(svg, "xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(svg, "width=\"85mm\" height=\"55mm\""));
    assert_non_null(strstr(svg, ">Ciocolată &lt;Tom&gt; &amp; &quot;Jerry&apos;s&quot;</text>"));
    assert_null(strstr(svg, "<Tom"));
    /* The code in two lines, as on the PNG; the holder's name escaped too. */
    assert_non_null(strstr(svg, ">YGE8-YSD4-HTCY</text>"));
    assert_non_null(strstr(svg, ">2JBX-GYBE</text>"));
    assert_non_null(strstr(svg, ">Ana &lt;Maria&gt;</text>"));
    size_t len = strlen(svg);
    assert_true(len > 7 && strcmp(svg + len - 7, "</svg>\n") == 0);
    /* Tags balance: every '<' that opens an element is closed or self-closed. */
    int opens = 0, closes = 0;
    for (const char *p = svg; (p = strchr(p, '<')); p++) {
        if (p[1] == '/')
            closes++;
        else if (strchr(p, '>')[-1] != '/')
            opens++;
    }
    assert_int_equal(opens, closes);
    free(svg);
}

/* --- PNG cards ----------------------------------------------------------------- */

/* The card's pixels as 8-bit grey, the way any reader of the PNG sees them. */
static struct scan_image card_pixels(const struct card_face *face)
{
    unsigned char *png;
    size_t len;
    char err[256];
    if (card_render_png(face, &png, &len, err, sizeof err) != 0)
        fail_msg("card_render_png: %s", err);
    struct scan_image img;
    assert_int_equal(scan_image_read(png, len, &img, err, sizeof err), 0);
    free(png);
    return img;
}

/* How many pixels of the band (the top 140 rows) differ between two cards. */
static size_t band_difference(const struct card_face *a, const struct card_face *b)
{
    struct scan_image x = card_pixels(a), y = card_pixels(b);
    size_t diff = 0;
    for (size_t i = 0; i < (size_t)CARD_PNG_WIDTH * 140; i++)
        diff += x.grey[i] != y.grey[i];
    scan_image_free(&x);
    scan_image_free(&y);
    return diff;
}

static void test_card_png(void **state)
{
    (void)state;
    struct card_face face = { "Kawiarnia Pod Lipą — Łódź", "YGE8-YSD4-HTCY-2JBX-GYBE",
                              "TALLY:YGE8YSD4HTCY2JBXGYBE", "Ștefan Őrs Kovács", "green", NULL, 0 };
    unsigned char *png;
    size_t len;
    char err[256];
    assert_int_equal(card_render_png(&face, &png, &len, err, sizeof err), 0);
    struct scan_image img;
    assert_int_equal(scan_image_read(png, len, &img, err, sizeof err), 0);
    assert_int_equal(img.width, CARD_PNG_WIDTH);
    assert_int_equal(img.height, CARD_PNG_HEIGHT);
    scan_decoder *d = scan_decoder_new();
    assert_true(decodes_to(d, img.grey, img.width, img.height, face.qr));
    /* Below the band, mostly white paper; the band itself is coloured. */
    size_t dark = 0, band_dark = 0;
    for (size_t i = (size_t)img.width * 140; i < (size_t)img.width * (size_t)img.height; i++)
        dark += img.grey[i] < 128;
    for (size_t i = 0; i < (size_t)img.width * 100; i++)
        band_dark += img.grey[i] < 160;
    assert_true(dark > 10000 && dark < (size_t)img.width * (size_t)img.height / 3);
    assert_true(band_dark > (size_t)img.width * 50);
    /* 300 dpi: the pHYs chunk says 11811 pixels a metre; and it is in colour (RGB). */
    const unsigned char phys[] = { 'p', 'H', 'Y', 's', 0, 0, 0x2e, 0x23, 0, 0, 0x2e, 0x23, 1 };
    assert_true(contains(png, len, phys, sizeof phys));
    assert_int_equal(png[25], 2);   /* IHDR colour type: truecolour */
    scan_decoder_free(d);
    scan_image_free(&img);
    free(png);

    /* Letters as written: "Lipą" is not drawn as "Lipa" (a font without
     * the ogonek folded it), nor "Ștefan" as "Stefan". */
    struct card_face plain = face;
    plain.shop = "Kawiarnia Pod Lipa — Lodz";
    assert_true(band_difference(&face, &plain) > 50);
    struct card_face same = face;
    assert_int_equal(band_difference(&face, &same), 0);
    struct scan_image with_s = card_pixels(&face);
    plain = face;
    plain.holder = "Stefan Ors Kovacs";
    struct scan_image without = card_pixels(&plain);
    size_t diff = 0;
    for (size_t i = (size_t)CARD_PNG_WIDTH * 140; i < (size_t)CARD_PNG_WIDTH * CARD_PNG_HEIGHT; i++)
        diff += with_s.grey[i] != without.grey[i];
    assert_true(diff > 50);
    scan_image_free(&with_s);
    scan_image_free(&without);

    /* Long names shrink, then end in an ellipsis, rather than spill off the card. */
    face.shop = "A shop name long enough to need the smallest letters there are, and then some more";
    face.holder = "Łukasz Bartłomiej Przybyszewski-Wiśniewski Őrsi Ștefănescu";
    face.accent = "none";
    assert_int_equal(card_render_png(&face, &png, &len, err, sizeof err), 0);
    free(png);

    /* A logo that is not a PNG is refused with a reason, and nothing is made. */
    face.logo_png = (const unsigned char *)"GIF89a not a png";
    face.logo_len = 16;
    png = (unsigned char *)"x";
    assert_int_equal(card_render_png(&face, &png, &len, err, sizeof err), -1);
    assert_null(png);
    assert_non_null(strstr(err, "logo"));
    char *svg = NULL;
    assert_int_equal(card_render_svg(&face, &svg, err, sizeof err), -1);
    assert_null(svg);
    /* A real one is drawn in the band (here: a card's own PNG as the logo)
     * and embedded in the SVG. */
    struct card_face small = { "Kawiarnia", "YGE8-YSD4-HTCY-2JBX-GYBE", "TALLY:YGE8YSD4HTCY2JBXGYBE",
                               NULL, "blue", NULL, 0 };
    unsigned char *logo;
    size_t logo_len;
    assert_int_equal(card_render_png(&small, &logo, &logo_len, err, sizeof err), 0);
    struct card_face branded = small;
    branded.logo_png = logo;
    branded.logo_len = logo_len;
    assert_true(band_difference(&small, &branded) > 1000);
    assert_int_equal(card_render_svg(&branded, &svg, err, sizeof err), 0);
    assert_non_null(strstr(svg, "href=\"data:image/png;base64,iVBORw0KGgo"));
    assert_non_null(strstr(svg, "fill=\"#1466bf\""));
    free(svg);
    free(logo);
}

/* A card file is its owner's alone by default, whatever the umask; a mode
 * asked for is kept exactly; a failed write leaves nothing behind. */
static void test_card_file_modes(void **state)
{
    (void)state;
    char *dir = tmp_dir(), path[256], err[512];
    struct stat st;
    mode_t old = umask(0);
    snprintf(path, sizeof path, "%s/card.png", dir);
    assert_int_equal(card_write_file(path, "card", 4, CARD_FILE_MODE, err, sizeof err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 4);
    umask(077);
    assert_int_equal(card_write_file(path, "shared", 6, 0644, err, sizeof err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(st.st_size, 6);
    umask(old);
    assert_int_equal(card_write_file(path, "x", 1, 0755, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot write"));
    snprintf(path, sizeof path, "%s/missing/card.png", dir);
    assert_int_equal(card_write_file(path, "x", 1, CARD_FILE_MODE, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    snprintf(path, sizeof path, "ls -A '%s' | wc -l", dir);
    FILE *ls = popen(path, "r");
    assert_non_null(ls);
    int files = 0;
    assert_int_equal(fscanf(ls, "%d", &files), 1);
    pclose(ls);
    assert_int_equal(files, 1);     /* card.png alone: no temporary file left */
    rm_dir(dir);
}

/* --- loaders ------------------------------------------------------------------- */

/* A card payload drawn at 4 px a module. */
static unsigned char *sample_frame(int *side, const char *text)
{
    struct qr_symbol q;
    assert_int_equal(qr_encode(text, &q), 0);
    unsigned char *g = raster(&q, 4, side);
    qr_free(&q);
    return g;
}

static void check_loaded(const char *path, const unsigned char *want, int side, const char *text)
{
    struct scan_image img;
    char err[512];
    if (scan_image_load(path, &img, err, sizeof err) != 0)
        fail_msg("%s: %s", path, err);
    assert_int_equal(img.width, side);
    assert_int_equal(img.height, side);
    if (want)
        for (int i = 0; i < side * side; i++)
            assert_true(abs(img.grey[i] - want[i]) <= 1);
    scan_decoder *d = scan_decoder_new();
    assert_true(decodes_to(d, img.grey, img.width, img.height, text));
    scan_decoder_free(d);
    scan_image_free(&img);
}

static void test_pgm_loader(void **state)
{
    (void)state;
    const char *text = "TALLY:YGE8YSD4HTCY2JBXGYBE";
    char *dir = tmp_dir(), path[256];
    int side;
    unsigned char *g = sample_frame(&side, text);
    size_t n = (size_t)side * (size_t)side;

    /* P5, 8 bits, with a comment in the header. */
    char head[64];
    int hl = snprintf(head, sizeof head, "P5\n# made by test_qr\n%d %d\n255\n", side, side);
    unsigned char *buf = malloc((size_t)hl + 2 * n + 1);
    memcpy(buf, head, (size_t)hl);
    memcpy(buf + hl, g, n);
    snprintf(path, sizeof path, "%s/a.pgm", dir);
    write_file(path, buf, (size_t)hl + n);
    check_loaded(path, g, side, text);

    /* P5, 16 bits big-endian. */
    hl = snprintf(head, sizeof head, "P5 %d %d 65535\n", side, side);
    memcpy(buf, head, (size_t)hl);
    for (size_t i = 0; i < n; i++)
        buf[hl + 2 * i] = buf[hl + 2 * i + 1] = g[i];
    snprintf(path, sizeof path, "%s/b.pgm", dir);
    write_file(path, buf, (size_t)hl + 2 * n);
    check_loaded(path, g, side, text);
    /* Truncated: a clear refusal, not a read past the end. */
    write_file(path, buf, (size_t)hl + n);
    struct scan_image img;
    char err[512];
    assert_int_equal(scan_image_load(path, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "too few pixels"));
    assert_null(img.grey);
    free(buf);

    /* P2, plain text, maxval 1 (pbm-like values). */
    snprintf(path, sizeof path, "%s/c.pgm", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "P2\n%d %d\n1\n", side, side);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%d%c", g[i] ? 1 : 0, i % 17 == 16 ? '\n' : ' ');
    fclose(f);
    check_loaded(path, g, side, text);

    free(g);
    rm_dir(dir);
}

/* PNGs of every kind the simplified writer makes: grey, grey+alpha, RGB,
 * RGBA, 16-bit linear, palette. */
static void test_png_loader(void **state)
{
    (void)state;
    const char *text = "TALLY:YGE8YSD4HTCY2JBXGYBE";
    char *dir = tmp_dir(), path[256];
    int side;
    unsigned char *g = sample_frame(&side, text);
    size_t n = (size_t)side * (size_t)side;
    const struct { const char *name; png_uint_32 format; int channels; bool alpha; } kinds[] = {
        { "grey", PNG_FORMAT_GRAY, 1, false },
        { "grey-alpha", PNG_FORMAT_GA, 2, true },
        { "rgb", PNG_FORMAT_RGB, 3, false },
        { "rgba", PNG_FORMAT_RGBA, 4, true },
        { "palette", PNG_FORMAT_RGB | PNG_FORMAT_FLAG_COLORMAP, 1, false },
    };
    unsigned char *buf = malloc(n * 4);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        png_image im;
        memset(&im, 0, sizeof im);
        im.version = PNG_IMAGE_VERSION;
        im.width = (png_uint_32)side;
        im.height = (png_uint_32)side;
        im.format = kinds[k].format;
        unsigned char cmap[2 * 3] = { 0, 0, 0, 255, 255, 255 };
        for (size_t i = 0; i < n; i++)
            for (int c = 0; c < kinds[k].channels; c++) {
                unsigned char v = g[i];
                if (kinds[k].format & PNG_FORMAT_FLAG_COLORMAP)
                    v = g[i] ? 1 : 0;
                else if (kinds[k].alpha && c == kinds[k].channels - 1)
                    v = g[i] ? 0 : 255;     /* light modules transparent */
                else if (kinds[k].alpha)
                    v = 0;                   /* colour black under the alpha */
                buf[i * (size_t)kinds[k].channels + (size_t)c] = v;
            }
        if (kinds[k].format & PNG_FORMAT_FLAG_COLORMAP)
            im.colormap_entries = 2;
        snprintf(path, sizeof path, "%s/%s.png", dir, kinds[k].name);
        assert_true(png_image_write_to_file(&im, path, 0, buf, 0, cmap));
        /* Transparency lies on white paper: the pixels come out the same. */
        check_loaded(path, g, side, text);
    }
    /* 16-bit linear grey. */
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = im.height = (png_uint_32)side;
    im.format = PNG_FORMAT_LINEAR_Y;
    uint16_t *wide = malloc(n * 2);
    for (size_t i = 0; i < n; i++)
        wide[i] = g[i] ? 65535 : 0;
    snprintf(path, sizeof path, "%s/linear16.png", dir);
    assert_true(png_image_write_to_file(&im, path, 0, wide, 0, NULL));
    check_loaded(path, g, side, text);
    free(wide);

    /* And our own writer, read back exactly. */
    unsigned char *png;
    size_t len;
    assert_int_equal(scan_png_write(g, side, side, 0, &png, &len), 0);
    snprintf(path, sizeof path, "%s/own.png", dir);
    write_file(path, png, len);
    check_loaded(path, g, side, text);
    free(png);
    free(buf);
    free(g);
    rm_dir(dir);
}

static void test_unreadable_images(void **state)
{
    (void)state;
    char *dir = tmp_dir(), path[256], err[512];
    struct scan_image img;
    int side;
    unsigned char *g = sample_frame(&side, "X"), *png;
    size_t len;
    assert_int_equal(scan_png_write(g, side, side, 0, &png, &len), 0);
    const struct { const char *name; size_t len; const char *data; const char *why; } cases[] = {
        { "missing.png", 0, NULL, "No such file" },
        { "empty.png", 0, "", "not a PNG, JPEG or PGM" },
        { "text.png", 5, "hello", "not a PNG, JPEG or PGM" },
        { "truncated.png", len / 2, (const char *)png, "damaged PNG" },
        { "header-only.png", 40, (const char *)png, "damaged PNG" },
        { "bad.pgm", 9, "P5\n-3 4\n2", "damaged PGM" },
        { "huge.pgm", 20, "P5 100000 100000 255", "too large" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, cases[i].name);
        if (cases[i].data)
            write_file(path, cases[i].data, cases[i].len);
        assert_int_equal(scan_image_load(path, &img, err, sizeof err), -1);
        assert_null(img.grey);
        if (!strstr(err, cases[i].why) || !strstr(err, path))
            fail_msg("%s: expected '%s' in: %s", cases[i].name, cases[i].why, err);
    }
    assert_int_equal(scan_image_load(dir, &img, err, sizeof err), -1);
    assert_non_null(strstr(err, "directory"));
    assert_int_equal(scan_image_read(NULL, 0, &img, NULL, 0), -1);
    /* Corrupt pixel data inside a well-formed file. */
    png[len - 20] ^= 0xFF;
    assert_int_equal(scan_image_read(png, len, &img, err, sizeof err), -1);
    free(png);
    free(g);
    rm_dir(dir);
}

static void test_decode_rejects_bad_frames(void **state)
{
    (void)state;
    scan_decoder *d = scan_decoder_new();
    unsigned char blank[64 * 64];
    memset(blank, 255, sizeof blank);
    assert_int_equal(scan_decode(d, blank, 64, 64, NULL, NULL), 0);
    assert_int_equal(scan_decode(d, blank, 0, 64, NULL, NULL), -1);
    assert_int_equal(scan_decode(d, NULL, 64, 64, NULL, NULL), -1);
    assert_int_equal(scan_decode(NULL, blank, 64, 64, NULL, NULL), -1);
    scan_decoder_free(d);
}

/* --- the scanner object -------------------------------------------------------- */

/* Every event until SCAN_END, waiting on the descriptor as a main loop does. */
static int collect(scanner *sc, struct scan_event *evs, int max)
{
    int n = 0;
    for (;;) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(scanner_fd(sc), &rd);
        struct timeval tv = { 10, 0 };
        assert_int_equal(select(scanner_fd(sc) + 1, &rd, NULL, NULL, &tv), 1);
        struct scan_event ev;
        int got = 0;
        while (scanner_next(sc, &ev) == 1) {
            got++;
            if (ev.kind == SCAN_END)
                return n;
            assert_true(n < max);
            evs[n++] = ev;
        }
        assert_true(got > 0);  /* readable means an event is waiting */
    }
}

static int count_kind(const struct scan_event *evs, int n, enum scan_kind kind)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += evs[i].kind == kind;
    return k;
}

static void write_png_of(const char *path, const char *text)
{
    int side;
    unsigned char *g = sample_frame(&side, text), *png;
    size_t len;
    assert_int_equal(scan_png_write(g, side, side, 0, &png, &len), 0);
    write_file(path, png, len);
    free(png);
    free(g);
}

static void test_scanner_images_and_dedupe(void **state)
{
    (void)state;
    char *dir = tmp_dir(), a[256], b[256], blank[256], missing[256], err[256];
    snprintf(a, sizeof a, "%s/1-a.png", dir);
    snprintf(b, sizeof b, "%s/2-b.png", dir);
    snprintf(blank, sizeof blank, "%s/3-blank.pgm", dir);
    snprintf(missing, sizeof missing, "%s/missing.png", dir);
    write_png_of(a, "TALLY:YGE8YSD4HTCY2JBXGYBE");
    write_png_of(b, "https://example.com/");
    write_file(blank, "P5 2 2 255\n\xff\xff\xff\xff", 15);
    struct scan_event *evs = calloc(16, sizeof *evs);

    /* The same card three times within the window: one scan. */
    const char *same[] = { a, a, b, a };
    struct scanner_opts slow = { .window_ms = 2000 };
    scanner *sc = scanner_open_images(same, 4, &slow, err, sizeof err);
    assert_non_null(sc);
    int n = collect(sc, evs, 16);
    assert_int_equal(n, 2);
    assert_int_equal(evs[0].kind, SCAN_CODE);
    assert_string_equal(evs[0].text, "TALLY:YGE8YSD4HTCY2JBXGYBE");
    assert_int_equal(evs[0].len, 26);
    assert_string_equal(evs[0].source, a);
    assert_true(evs[0].when > 1700000000000);
    assert_string_equal(evs[1].text, "https://example.com/");
    scanner_close(sc);

    /* No window: every sighting. */
    struct scanner_opts every = { .window_ms = 0 };
    sc = scanner_open_images(same, 4, &every, err, sizeof err);
    assert_int_equal(collect(sc, evs, 16), 4);
    scanner_close(sc);

    /* Sightings further apart than the window count again. */
    struct scanner_opts paced = { .window_ms = 100, .interval_ms = 200 };
    sc = scanner_open_images(same, 3, &paced, err, sizeof err);
    n = collect(sc, evs, 16);
    assert_int_equal(count_kind(evs, n, SCAN_CODE), 3);
    assert_true(evs[1].when - evs[0].when >= 150);
    scanner_close(sc);

    /* A directory: its images in name order; a blank image; a missing file. */
    const char *mixed[] = { dir, missing };
    sc = scanner_open_images(mixed, 2, NULL, err, sizeof err);
    n = collect(sc, evs, 16);
    assert_int_equal(n, 4);
    assert_int_equal(evs[0].kind, SCAN_CODE);
    assert_string_equal(evs[0].source, a);
    assert_int_equal(evs[1].kind, SCAN_CODE);
    assert_string_equal(evs[1].source, b);
    assert_int_equal(evs[2].kind, SCAN_NOTHING);
    assert_string_equal(evs[2].source, blank);
    assert_int_equal(evs[3].kind, SCAN_ERROR);
    assert_non_null(strstr(evs[3].text, missing));
    scanner_close(sc);

    /* Closing early, with events unread and the thread maybe waiting for
     * room, joins cleanly (LeakSanitizer checks the rest). */
    const char *many[40];
    for (int i = 0; i < 40; i++)
        many[i] = i % 2 ? a : b;
    sc = scanner_open_images(many, 40, &every, err, sizeof err);
    usleep(20000);
    scanner_close(sc);
    scanner_close(NULL);

    /* An empty directory is a clear error. */
    char empty[300];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    const char *e[] = { empty };
    sc = scanner_open_images(e, 1, NULL, err, sizeof err);
    n = collect(sc, evs, 16);
    assert_int_equal(n, 1);
    assert_int_equal(evs[0].kind, SCAN_ERROR);
    assert_non_null(strstr(evs[0].text, "no .png, .jpg or .pgm"));
    scanner_close(sc);

    free(evs);
    rm_dir(dir);
}

/* --- real-world frames ------------------------------------------------------------ */

struct distortion {
    const char *name;
    double angle;       /* degrees; the sign is drawn at random */
    double module;      /* pixels a module */
    int blur;           /* box blur radius */
    double noise;       /* standard deviation, grey levels */
    int dark, light;    /* contrast */
    int where;          /* 0 centre, 1 corner, 2 touching the left edge */
    int floor;          /* frames of 10 that must decode, ALL, or LIMIT */
};

/* Frames per distortion: 10 keeps make test quick; QR_TRIALS=100 for a
 * closer look. A floor of ALL must decode every frame; other floors are
 * out of 10 (scaled to the trials), set a little under the rate measured
 * with the fixed seed, so a worse decode path fails. LIMIT marks what no
 * decode path of ours reads (zbar's own limits): printed, not asserted. */
static int trials = 10;
#define ALL -1
#define LIMIT -2

/* The symbol anti-aliased into the frame (3x3 samples a pixel), rotated
 * about (cx, cy); only the square that can hold it is sampled. */
static void draw_frame(unsigned char *f, const struct qr_symbol *q, double cx, double cy,
                       double module, double angle, int dark, int light)
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
                    hits += mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                            q->dark[my * q->width + mx];
                }
            f[y * FRAME_W + x] = (unsigned char)(light - (light - dark) * hits / 9);
        }
}

static void box_blur(unsigned char *f, int r)
{
    unsigned char *t = malloc(FRAME_W * FRAME_H);
    for (int pass = 0; pass < 2; pass++) {  /* horizontal, then vertical */
        memcpy(t, f, FRAME_W * FRAME_H);
        for (int y = 0; y < FRAME_H; y++)
            for (int x = 0; x < FRAME_W; x++) {
                int sum = 0, n = 0;
                for (int k = -r; k <= r; k++) {
                    int xx = pass ? x : x + k, yy = pass ? y + k : y;
                    if (xx >= 0 && yy >= 0 && xx < FRAME_W && yy < FRAME_H) {
                        sum += t[yy * FRAME_W + xx];
                        n++;
                    }
                }
                f[y * FRAME_W + x] = (unsigned char)(sum / n);
            }
    }
    free(t);
}

/* Roughly gaussian: the sum of four uniforms, scaled to sigma. */
static void add_noise(unsigned char *f, double sigma)
{
    for (int i = 0; i < FRAME_W * FRAME_H; i++) {
        double z = (uniform() + uniform() + uniform() + uniform() - 2.0) * sqrt(3.0);
        double v = f[i] + z * sigma;
        f[i] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

static int decode_rate(scan_decoder *d, const struct distortion *dist, unsigned char *frame)
{
    int ok = 0;
    for (int t = 0; t < trials; t++) {
        char qr[CARD_QR_MAX], human[CARD_HUMAN_MAX];
        random_payload(qr, human);
        struct qr_symbol q;
        assert_int_equal(qr_encode(qr, &q), 0);
        double side = qr_full_width(&q) * dist->module;
        double jx = (uniform() - 0.5) * 40, jy = (uniform() - 0.5) * 40;
        double cx = FRAME_W / 2.0 + jx, cy = FRAME_H / 2.0 + jy;
        if (dist->where == 1) {         /* a corner, the symbol whole */
            cx = FRAME_W - side / 2 - 2 - uniform() * 10;
            cy = side / 2 + 2 + uniform() * 10;
        } else if (dist->where == 2) {  /* quiet zone cut off by the edge */
            cx = side / 2 - QR_QUIET_ZONE * dist->module * (0.5 + uniform() * 0.5);
        }
        double angle = dist->angle * (rng() & 1 ? 1 : -1) * M_PI / 180;
        draw_frame(frame, &q, cx, cy, dist->module, angle, dist->dark, dist->light);
        if (dist->blur)
            box_blur(frame, dist->blur);
        if (dist->noise > 0)
            add_noise(frame, dist->noise);
        ok += decodes_to(d, frame, FRAME_W, FRAME_H, qr);
        qr_free(&q);
    }
    return ok;
}

static void test_real_world_frames(void **state)
{
    (void)state;
    static const struct distortion cases[] = {
        { "clean, 5 px a module", 0, 5, 0, 0, 0, 255, 0, ALL },
        { "rotate 5°", 5, 5, 0, 0, 0, 255, 0, ALL },
        { "rotate 15°", 15, 5, 0, 0, 0, 255, 0, ALL },
        { "rotate 30°", 30, 5, 0, 0, 0, 255, 0, 8 },
        { "rotate 45°", 45, 5, 0, 0, 0, 255, 0, 8 },
        { "scale 3 px a module", 0, 3, 0, 0, 0, 255, 0, ALL },
        { "scale 2 px a module", 0, 2, 0, 0, 0, 255, 0, 7 },
        { "scale 1.5 px a module", 0, 1.5, 0, 0, 0, 255, 0, LIMIT },
        { "box blur radius 1", 0, 5, 1, 0, 0, 255, 0, ALL },
        { "box blur radius 2", 0, 5, 2, 0, 0, 255, 0, LIMIT },
        { "box blur radius 3", 0, 5, 3, 0, 0, 255, 0, LIMIT },
        { "noise sigma 20", 0, 5, 0, 20, 0, 255, 0, ALL },
        { "noise sigma 40", 0, 5, 0, 40, 0, 255, 0, 2 },
        { "noise sigma 70", 0, 5, 0, 70, 0, 255, 0, LIMIT },
        { "low contrast 90-170", 0, 5, 0, 0, 90, 170, 0, ALL },
        { "low contrast 115-140", 0, 5, 0, 0, 115, 140, 0, 8 },
        { "off-centre, in a corner", 0, 5, 0, 0, 0, 255, 1, ALL },
        { "off-centre, quiet zone cut", 0, 5, 0, 0, 0, 255, 2, 8 },
        { "all mild at once", 10, 4, 1, 10, 60, 200, 0, 7 },
    };
    if (getenv("QR_TRIALS") && atoi(getenv("QR_TRIALS")) > 0)
        trials = atoi(getenv("QR_TRIALS"));
    scan_decoder *d = scan_decoder_new();
    unsigned char *frame = malloc(FRAME_W * FRAME_H);
    rng_seed(42);
    int failed = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int ok = decode_rate(d, &cases[i], frame);
        int floor_ = cases[i].floor == ALL ? trials : cases[i].floor == LIMIT ? 0
                   : cases[i].floor * trials / 10;
        printf("  decode rate, 640x480 frames, %-28s %3d/%d%s\n", cases[i].name, ok, trials,
               ok < floor_ ? "  BELOW FLOOR" : cases[i].floor == LIMIT ? "  (beyond zbar)" : "");
        failed += ok < floor_;
    }
    free(frame);
    scan_decoder_free(d);
    assert_int_equal(failed, 0);
}


/* --- the second decoder: zxing-cpp after zbar ------------------------------------ */

struct card_read { const char *want; int cards, other; };

static void card_found(const char *text, size_t len, void *arg)
{
    struct card_read *r = arg;
    char id[CARD_ID_LEN + 1];
    if (strlen(r->want) == len && memcmp(text, r->want, len) == 0 &&
        card_parse(text, len, SECRET, id) == CARD_OK)
        r->cards++;
    else
        r->other++;
}

static bool reads_card(scan_decoder *d, const unsigned char *frame, const char *want)
{
    struct card_read r = { want, 0, 0 };
    assert_true(scan_decode(d, frame, PHOTO_W, PHOTO_H, card_found, &r) >= 0);
    assert_int_equal(r.other, 0);
    return r.cards > 0;
}

/* Photos with glare over the code: zbar then zxing reads every one zbar
 * reads, and more; one zbar misses, as a file through the image source
 * (tally scan --images), arrives as a code that passes the MAC check (a
 * till of another shop refuses it), and as a frame through the camera's
 * pipeline is read as well. */
static void test_zxing_reads_what_zbar_misses(void **state)
{
    (void)state;
    scan_decoder *zbar = scan_decoder_new(), *both = scan_decoder_new();
    scan_decoder_fallback(both, 1);
    unsigned char *frame = malloc(PHOTO_W * PHOTO_H);
    struct photo_rng r = { 0x5EED0F7A11Du };
    char *dir = tmp_dir(), path[256], missed[CARD_QR_MAX] = "";
    snprintf(path, sizeof path, "%s/glare.png", dir);
    int zbar_read = 0, both_read = 0;
    for (int i = 0; i < 16; i++) {
        struct photo_card c;
        assert_int_equal(photo_card_make(SECRET, &r, &c), 0);
        photo_take(&c, PHOTO_GLARE, &r, frame);
        bool z = reads_card(zbar, frame, c.qr), b = reads_card(both, frame, c.qr);
        assert_true(b || !z);
        zbar_read += z;
        both_read += b;
        if (b && !z && !missed[0]) {
            unsigned char *png;
            size_t len;
            assert_int_equal(scan_png_write(frame, PHOTO_W, PHOTO_H, 0, &png, &len), 0);
            write_file(path, png, len);
            free(png);
            snprintf(missed, sizeof missed, "%s", c.qr);
        }
        photo_card_free(&c);
    }
    printf("  glare on the code: zbar %d/16, zbar then zxing %d/16\n", zbar_read, both_read);
    assert_true(both_read > zbar_read);
    assert_true(missed[0] != '\0');

    const char *files[] = { path };
    char err[256], id[CARD_ID_LEN + 1];
    scanner *sc = scanner_open_images(files, 1, NULL, err, sizeof err);
    assert_non_null(sc);
    struct scan_event *evs = calloc(4, sizeof *evs);
    assert_int_equal(collect(sc, evs, 4), 1);
    assert_int_equal(evs[0].kind, SCAN_CODE);
    assert_string_equal(evs[0].text, missed);
    assert_int_equal(card_parse(evs[0].text, evs[0].len, SECRET, id), CARD_OK);
    static const unsigned char OTHER[CARD_SECRET_BYTES] = "another shop's secret, 32 bytes!";
    assert_int_not_equal(card_parse(evs[0].text, evs[0].len, OTHER, id), CARD_OK);
    scanner_close(sc);

    /* The camera's pipeline reads it too; a decoder told one in 3 runs
     * zxing on the 1st and 4th of six misses. */
    struct scan_image img;
    assert_int_equal(scan_image_load(path, &img, err, sizeof err), 0);
    struct scanner_sources frames = { .frames = true };
    sc = scanner_open(&frames, NULL, err, sizeof err);
    assert_non_null(sc);
    struct scan_frame f = { .format = SCAN_PIX_GREY, .width = img.width, .height = img.height,
                            .data = img.grey, .len = (size_t)img.width * img.height };
    assert_int_equal(scanner_frame(sc, &f), 0);
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(scanner_fd(sc), &rd);
    struct timeval tv = { 10, 0 };
    assert_int_equal(select(scanner_fd(sc) + 1, &rd, NULL, NULL, &tv), 1);
    assert_int_equal(scanner_next(sc, &evs[0]), 1);
    assert_int_equal(evs[0].kind, SCAN_CODE);
    assert_string_equal(evs[0].text, missed);
    scanner_close(sc);
    scan_decoder *third = scan_decoder_new();
    scan_decoder_fallback(third, 3);
    int reads = 0;
    for (int i = 0; i < 6; i++)
        reads |= reads_card(third, img.grey, missed) << i;
    assert_int_equal(reads, 1 | 1 << 3);
    scan_decoder_free(third);
    scan_image_free(&img);

    free(evs);
    free(frame);
    rm_dir(dir);
    scan_decoder_free(zbar);
    scan_decoder_free(both);
}

/* A QR finder pattern (7 x 7 modules) at (x, y), m pixels a module. */
static void draw_finder(unsigned char *f, int w, int h, int x, int y, int m)
{
    for (int v = 0; v < 7 * m; v++)
        for (int u = 0; u < 7 * m; u++) {
            int mu = u / m, mv = v / m, ring = mu < mv ? mu : mv;
            ring = ring < 6 - mu ? ring : 6 - mu;
            ring = ring < 6 - mv ? ring : 6 - mv;
            if (x + u < w && y + v < h)
                f[(y + v) * w + x + u] = ring == 1 ? 255 : 0;
        }
}

/* Frames that are no QR code but provoke zxing's detector (finder
 * patterns everywhere, a code whose data is noise, slivers one pixel
 * wide) come back with no card and no crash, ASan and UBSan watching. */
static void test_zxing_garbage_frames(void **state)
{
    (void)state;
    scan_decoder *d = scan_decoder_new();
    scan_decoder_fallback(d, 1);
    static const int SIZES[][2] = { { 1, 1 }, { 1, 480 }, { 640, 1 }, { 3, 3 }, { 21, 21 },
                                    { 17, 1000 }, { 640, 480 } };
    unsigned char *f = malloc(1000 * 1000);
    rng_seed(7);
    for (size_t s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {
        int w = SIZES[s][0], h = SIZES[s][1];
        for (int pattern = 0; pattern < 4; pattern++) {
            for (int i = 0; i < w * h; i++)
                f[i] = pattern == 0 ? 0 : pattern == 1 ? 255 : (unsigned char)rng();
            if (pattern == 3)   /* finder patterns tiled at 1-4 px a module */
                for (int y = 0, m = 1; y < h; y += 9 * m, m = m % 4 + 1)
                    for (int x = (int)(rng() % 5); x < w; x += 8 * m + (int)(rng() % 4))
                        draw_finder(f, w, h, x, y, m);
            struct card_read r = { "", 0, 0 };
            assert_int_equal(scan_decode(d, f, w, h, card_found, &r), r.other);
            assert_int_equal(r.cards, 0);
        }
    }
    /* A real symbol with its data modules scrambled, finders intact: the
     * detector finds it and error correction gives up. */
    struct qr_symbol q;
    assert_int_equal(qr_encode("TALLY:YGE8YSD4HTCY2JBXGYBE", &q), 0);
    for (int trial = 0; trial < 20; trial++) {
        for (int y = 0; y < q.width; y++)
            for (int x = 0; x < q.width; x++) {
                bool finder = (x < 8 && y < 8) || (x >= q.width - 8 && y < 8) || (x < 8 && y >= q.width - 8);
                if (!finder && rng() % 3 == 0)
                    q.dark[y * q.width + x] ^= 1;
            }
        memset(f, 255, 640 * 480);
        qr_draw(&q, f, 640, 480, 100, 60, 2 + trial % 5);
        struct card_read r = { "", 0, 0 };
        assert_true(scan_decode(d, f, 640, 480, card_found, &r) >= 0);
        assert_int_equal(r.cards, 0);
    }
    qr_free(&q);
    free(f);
    scan_decoder_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_many_codes),
        cmocka_unit_test(test_every_variant_decodes),
        cmocka_unit_test(test_draw_clips),
        cmocka_unit_test(test_terminal_quiet_zone_and_size),
        cmocka_unit_test(test_svg),
        cmocka_unit_test(test_card_png),
        cmocka_unit_test(test_pgm_loader),
        cmocka_unit_test(test_card_file_modes),
        cmocka_unit_test(test_png_loader),
        cmocka_unit_test(test_unreadable_images),
        cmocka_unit_test(test_decode_rejects_bad_frames),
        cmocka_unit_test(test_scanner_images_and_dedupe),
        cmocka_unit_test(test_real_world_frames),
        cmocka_unit_test(test_zxing_reads_what_zbar_misses),
        cmocka_unit_test(test_zxing_garbage_frames),
    };
    return cmocka_run_group_tests_name("qr", tests, NULL, NULL);
}
