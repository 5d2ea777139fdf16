/* card_photos.h - a corpus of distorted photos of tally's printed cards,
 * drawn from a seed, for tests/unit/test_qr.c and bench/bench_photos.c.
 * Header-only: each program that includes it is built from one file.
 *
 * A photo starts from a real card: card_render_png() of a random id of
 * the caller's shop, read back to grey with scan_image_read(). It is put
 * on a table (a grey gradient with a few darker and lighter shapes) by a
 * homography -- turned, tilted and scaled as a hand holds it -- under
 * uneven light, then spoiled one way per kind: a steep perspective, a
 * large turn, blur, glare over the code, low contrast, heavy JPEG, a thumb
 * over part of the code, or several mild ones at once. PHOTO_NO_CODE is
 * what a camera mostly sees: the table alone, or the card with its code
 * painted out. Frames are PHOTO_W x PHOTO_H grey, as the camera gives.
 * The same seed gives the same photos wherever the same Debian release
 * renders the card (its fonts, libm and libjpeg-turbo's integer DCT). */
#ifndef TALLY_TESTS_CARD_PHOTOS_H
#define TALLY_TESTS_CARD_PHOTOS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "scanner/scanner.h"

#define PHOTO_W 640
#define PHOTO_H 480

enum photo_kind {
    PHOTO_PERSPECTIVE, PHOTO_ROTATION, PHOTO_BLUR, PHOTO_GLARE, PHOTO_CONTRAST,
    PHOTO_JPEG, PHOTO_OCCLUSION, PHOTO_MIXED, PHOTO_NO_CODE, PHOTO_KINDS
};

static const char *const PHOTO_NAMES[PHOTO_KINDS] = {
    "steep perspective", "turned 20-160 degrees", "out of focus", "glare on the code",
    "low contrast", "JPEG quality 6-20", "thumb over the code", "all mild at once", "no code",
};

struct photo_rng { uint64_t s; };

static inline uint64_t photo_next(struct photo_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Du;
}

static inline double photo_uniform(struct photo_rng *r)
{
    return (double)(photo_next(r) >> 11) / 9007199254740992.0;
}

static inline double photo_between(struct photo_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * photo_uniform(r);
}

struct photo_card {
    char qr[CARD_QR_MAX];       /* what the card's code says */
    struct scan_image img;      /* the printed card, grey */
    int qr_x0, qr_y0, qr_x1, qr_y1;  /* the code's dark modules' box on it */
};

/* A new card of the shop, printed; -1 if it cannot be rendered. */
static inline int photo_card_make(const unsigned char secret[CARD_SECRET_BYTES], struct photo_rng *r,
                                  struct photo_card *c)
{
    static const char CROCKFORD[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    char id[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX], err[256];
    for (int i = 0; i < CARD_ID_LEN; i++)
        id[i] = CROCKFORD[photo_next(r) % 32];
    id[CARD_ID_LEN] = '\0';
    if (card_encode(secret, id, human, c->qr) != 0)
        return -1;
    struct card_face face = { .shop = "Kawiarnia Pod Lipą", .human = human, .qr = c->qr,
                              .holder = "Łukasz Nowak", .accent = "green" };
    unsigned char *png;
    size_t len;
    if (card_render_png(&face, &png, &len, err, sizeof err) != 0)
        return -1;
    int rc = scan_image_read(png, len, &c->img, err, sizeof err);
    free(png);
    if (rc != 0)
        return -1;
    /* The code is the card's left square under the band: the box of its
     * dark pixels there. */
    c->qr_x0 = c->img.width, c->qr_y0 = c->img.height, c->qr_x1 = 0, c->qr_y1 = 0;
    for (int y = c->img.height / 5; y < c->img.height; y++)
        for (int x = 0; x < c->img.width / 2; x++)
            if (c->img.grey[y * c->img.width + x] < 100) {
                c->qr_x0 = x < c->qr_x0 ? x : c->qr_x0;
                c->qr_x1 = x > c->qr_x1 ? x : c->qr_x1;
                c->qr_y0 = y < c->qr_y0 ? y : c->qr_y0;
                c->qr_y1 = y > c->qr_y1 ? y : c->qr_y1;
            }
    return c->qr_x1 > c->qr_x0 && c->qr_y1 > c->qr_y0 ? 0 : -1;
}

static inline void photo_card_free(struct photo_card *c)
{
    scan_image_free(&c->img);
}

/* The homography taking the frame's quad q (4 corners, x y) to the card's
 * rectangle w x h: solves the 8 unknowns by Gaussian elimination. */
static inline void photo_homography(const double q[8], double w, double h, double H[9])
{
    const double to[8] = { 0, 0, w, 0, w, h, 0, h };
    double a[8][9];
    for (int i = 0; i < 4; i++) {
        double x = q[2 * i], y = q[2 * i + 1], u = to[2 * i], v = to[2 * i + 1];
        double r1[9] = { x, y, 1, 0, 0, 0, -u * x, -u * y, u };
        double r2[9] = { 0, 0, 0, x, y, 1, -v * x, -v * y, v };
        memcpy(a[2 * i], r1, sizeof r1);
        memcpy(a[2 * i + 1], r2, sizeof r2);
    }
    for (int c = 0; c < 8; c++) {
        int p = c;
        for (int r = c + 1; r < 8; r++)
            if (fabs(a[r][c]) > fabs(a[p][c]))
                p = r;
        for (int k = 0; k < 9; k++) {
            double t = a[c][k];
            a[c][k] = a[p][k];
            a[p][k] = t;
        }
        for (int r = 0; r < 8; r++)
            if (r != c) {
                double f = a[r][c] / a[c][c];
                for (int k = c; k < 9; k++)
                    a[r][k] -= f * a[c][k];
            }
    }
    for (int i = 0; i < 8; i++)
        H[i] = a[i][8] / a[i][i];
    H[8] = 1;
}

static inline double photo_card_at(const struct scan_image *img, double u, double v, int *inside)
{
    int x = (int)floor(u), y = (int)floor(v);
    if (x < 0 || y < 0 || x + 1 >= img->width || y + 1 >= img->height) {
        *inside = 0;
        return 0;
    }
    *inside = 1;
    double fx = u - x, fy = v - y;
    const unsigned char *p = img->grey + (size_t)y * img->width + x;
    return (p[0] * (1 - fx) + p[1] * fx) * (1 - fy) + (p[img->width] * (1 - fx) + p[img->width + 1] * fx) * fy;
}

static inline void photo_box_blur(unsigned char *f, int r)
{
    unsigned char *t = malloc(PHOTO_W * PHOTO_H);
    if (!t)
        return;
    for (int pass = 0; pass < 4; pass++) {  /* twice each way: near gaussian */
        memcpy(t, f, PHOTO_W * PHOTO_H);
        for (int y = 0; y < PHOTO_H; y++)
            for (int x = 0; x < PHOTO_W; x++) {
                int sum = 0, n = 0;
                for (int k = -r; k <= r; k++) {
                    int xx = pass % 2 ? x : x + k, yy = pass % 2 ? y + k : y;
                    if (xx >= 0 && yy >= 0 && xx < PHOTO_W && yy < PHOTO_H) {
                        sum += t[yy * PHOTO_W + xx];
                        n++;
                    }
                }
                f[y * PHOTO_W + x] = (unsigned char)(sum / n);
            }
    }
    free(t);
}

/* Saved as JPEG at quality, and read back through tally's own loader. */
static inline void photo_jpeg(unsigned char *f, int quality)
{
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    unsigned long len = 0;
    j.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&j);
    jpeg_mem_dest(&j, &out, &len);
    j.image_width = PHOTO_W;
    j.image_height = PHOTO_H;
    j.input_components = 1;
    j.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, quality, TRUE);
    jpeg_start_compress(&j, TRUE);
    while (j.next_scanline < PHOTO_H) {
        JSAMPROW row = f + (size_t)j.next_scanline * PHOTO_W;
        jpeg_write_scanlines(&j, &row, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    struct scan_image img;
    char err[256];
    if (scan_image_read(out, len, &img, err, sizeof err) == 0) {
        if (img.width == PHOTO_W && img.height == PHOTO_H)
            memcpy(f, img.grey, PHOTO_W * PHOTO_H);
        scan_image_free(&img);
    }
    free(out);
}

/* A photo of card c of the kind into frame (PHOTO_W x PHOTO_H). */
static inline void photo_take(const struct photo_card *c, enum photo_kind kind, struct photo_rng *r,
                              unsigned char *frame)
{
    /* The table: a gradient, a few shapes, the light falling off. */
    double base = photo_between(r, 70, 190), slope = photo_between(r, -0.08, 0.08);
    for (int y = 0; y < PHOTO_H; y++)
        for (int x = 0; x < PHOTO_W; x++)
            frame[y * PHOTO_W + x] = (unsigned char)fmax(0, fmin(255, base + slope * (x - y)));
    for (int k = (int)(photo_next(r) % 4); k > 0; k--) {
        int x0 = (int)(photo_uniform(r) * PHOTO_W), y0 = (int)(photo_uniform(r) * PHOTO_H);
        int w = 20 + (int)(photo_uniform(r) * 200), h = 20 + (int)(photo_uniform(r) * 150);
        int tone = (int)photo_between(r, 20, 240);
        for (int y = y0; y < y0 + h && y < PHOTO_H; y++)
            for (int x = x0; x < x0 + w && x < PHOTO_W; x++)
                frame[y * PHOTO_W + x] = (unsigned char)tone;
    }
    bool card = kind != PHOTO_NO_CODE || photo_next(r) % 2;
    /* The card: its width in the frame, turn and tilt by kind. */
    double width = photo_between(r, 330, 470), angle = photo_between(r, -12, 12), tilt = 0.06;
    if (kind == PHOTO_PERSPECTIVE)
        tilt = photo_between(r, 0.2, 0.3);
    if (kind == PHOTO_ROTATION)
        angle = photo_between(r, 20, 160) * (photo_next(r) % 2 ? 1 : -1);
    if (kind == PHOTO_MIXED)
        tilt = 0.12, angle = photo_between(r, -25, 25), width = photo_between(r, 300, 400);
    double height = width * c->img.height / c->img.width;
    double cx = PHOTO_W / 2.0 + photo_between(r, -40, 40), cy = PHOTO_H / 2.0 + photo_between(r, -30, 30);
    double a = angle * M_PI / 180, co = cos(a), si = sin(a), q[8];
    const double sx[4] = { -1, 1, 1, -1 }, sy[4] = { -1, -1, 1, 1 };
    for (int i = 0; i < 4; i++) {
        double dx = sx[i] * width / 2 + photo_between(r, -tilt, tilt) * width;
        double dy = sy[i] * height / 2 + photo_between(r, -tilt, tilt) * width;
        q[2 * i] = cx + co * dx - si * dy;
        q[2 * i + 1] = cy + si * dx + co * dy;
    }
    double H[9];
    photo_homography(q, c->img.width, c->img.height, H);
    for (int y = 0; card && y < PHOTO_H; y++)
        for (int x = 0; x < PHOTO_W; x++) {
            double sum = 0;
            int hits = 0;
            for (int s = 0; s < 4; s++) {   /* 2 x 2 samples a pixel */
                double px = x + 0.25 + 0.5 * (s % 2), py = y + 0.25 + 0.5 * (s / 2);
                double wgt = H[6] * px + H[7] * py + H[8];
                double u = (H[0] * px + H[1] * py + H[2]) / wgt, v = (H[3] * px + H[4] * py + H[5]) / wgt;
                int in;
                double g = photo_card_at(&c->img, u, v, &in);
                if (in && kind == PHOTO_NO_CODE && u >= c->qr_x0 - 4 && u <= c->qr_x1 + 4 &&
                    v >= c->qr_y0 - 4 && v <= c->qr_y1 + 4)
                    g = 250;    /* the code painted out */
                sum += in ? g : frame[y * PHOTO_W + x];
                hits += in;
            }
            if (hits)
                frame[y * PHOTO_W + x] = (unsigned char)(sum / 4);
        }
    /* Where the code's centre landed, and its side, for the spoilers:
     * through the inverse of H, card to frame. */
    double I[9] = { H[4] * H[8] - H[5] * H[7], H[2] * H[7] - H[1] * H[8], H[1] * H[5] - H[2] * H[4],
                    H[5] * H[6] - H[3] * H[8], H[0] * H[8] - H[2] * H[6], H[2] * H[3] - H[0] * H[5],
                    H[3] * H[7] - H[4] * H[6], H[1] * H[6] - H[0] * H[7], H[0] * H[4] - H[1] * H[3] };
    double qu = (c->qr_x0 + c->qr_x1) / 2.0, qv = (c->qr_y0 + c->qr_y1) / 2.0;
    double qw = I[6] * qu + I[7] * qv + I[8];
    double qx = (I[0] * qu + I[1] * qv + I[2]) / qw, qy = (I[3] * qu + I[4] * qv + I[5]) / qw;
    double qside = (c->qr_x1 - c->qr_x0) * width / c->img.width;
    /* Light: brighter on one side. */
    double lx = photo_between(r, -1, 1), ly = photo_between(r, -1, 1), fall = photo_between(r, 0.05, 0.2);
    for (int y = 0; y < PHOTO_H; y++)
        for (int x = 0; x < PHOTO_W; x++) {
            double t = (lx * (x - PHOTO_W / 2.0) + ly * (y - PHOTO_H / 2.0)) / PHOTO_W;
            frame[y * PHOTO_W + x] = (unsigned char)fmin(255, frame[y * PHOTO_W + x] * (1 - fall / 2 + fall * t));
        }
    bool mixed = kind == PHOTO_MIXED;
    if (kind == PHOTO_GLARE || mixed) {
        double amp = mixed ? 0.45 : photo_between(r, 0.75, 0.97), sigma = qside * photo_between(r, 0.12, 0.25);
        double gx = qx + photo_between(r, -0.3, 0.3) * qside, gy = qy + photo_between(r, -0.3, 0.3) * qside;
        for (int y = 0; y < PHOTO_H; y++)
            for (int x = 0; x < PHOTO_W; x++) {
                double d2 = ((x - gx) * (x - gx) + (y - gy) * (y - gy)) / (2 * sigma * sigma);
                double v = frame[y * PHOTO_W + x];
                frame[y * PHOTO_W + x] = (unsigned char)(v + (255 - v) * amp * fmin(1, 1.5 * exp(-d2)));
            }
    }
    if (kind == PHOTO_OCCLUSION || mixed) {
        /* A thumb from one side of the code, over a quarter of it. */
        double reach = qside * (mixed ? 0.1 : photo_between(r, 0.1, 0.25));
        double ang = photo_uniform(r) * 2 * M_PI;
        double tx = qx + cos(ang) * (qside / 2 + qside * 0.35 - reach);
        double ty = qy + sin(ang) * (qside / 2 + qside * 0.35 - reach);
        double rad = qside * 0.35, tone = photo_between(r, 120, 200);
        for (int y = 0; y < PHOTO_H; y++)
            for (int x = 0; x < PHOTO_W; x++)
                if ((x - tx) * (x - tx) + (y - ty) * (y - ty) < rad * rad)
                    frame[y * PHOTO_W + x] = (unsigned char)(tone + photo_between(r, -6, 6));
    }
    if (kind == PHOTO_CONTRAST || mixed) {
        double span = mixed ? 0.45 : photo_between(r, 0.08, 0.18), mid = photo_between(r, 90, 170);
        for (int i = 0; i < PHOTO_W * PHOTO_H; i++)
            frame[i] = (unsigned char)(mid + (frame[i] - 128) * span);
    }
    if (kind == PHOTO_BLUR)
        photo_box_blur(frame, 1 + (int)(photo_next(r) % 2));
    if (mixed)
        photo_box_blur(frame, 1);
    double sigma = mixed ? 5 : 2.5;     /* the sensor's noise */
    for (int i = 0; i < PHOTO_W * PHOTO_H; i++) {
        double z = (photo_uniform(r) + photo_uniform(r) + photo_uniform(r) - 1.5) * 2 * sigma;
        frame[i] = (unsigned char)fmax(0, fmin(255, frame[i] + z));
    }
    if (kind == PHOTO_JPEG || mixed)
        photo_jpeg(frame, mixed ? 40 : 6 + (int)(photo_next(r) % 15));
}

#endif
