/* decode.c - the one decode path: a grey frame in, QR texts out (zbar,
 * then zxing-cpp on what zbar reads nothing in: see scanner.h).
 *
 * Image files, the camera and the read-back of every printed card all
 * come through scan_decode(), so what the tests replay is what the till
 * runs. A grey frame is handed to zbar without a copy; a camera's frame
 * is first reduced to its luma in the decoder's own buffer (raw formats)
 * or decompressed by zbar's JPEG reader (MJPEG). */
#include "scanner.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

#include "zxing.h"

struct scan_decoder {
    zbar_image_scanner_t *zs;
    unsigned char *grey;    /* luma of the last camera frame */
    size_t cap;
    int fallback_every;     /* zxing on one zbar miss in this many; 0 never */
    unsigned misses;        /* frames zbar read nothing in */
};

scan_decoder *scan_decoder_new(void)
{
    scan_decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->zs = zbar_image_scanner_create();
    if (!d->zs) {
        free(d);
        return NULL;
    }
    /* QR only: every other symbology costs time and can misread a
     * card's modules as a bar code. */
    zbar_image_scanner_set_config(d->zs, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(d->zs, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    return d;
}

void scan_decoder_fallback(scan_decoder *d, int every)
{
    if (d) {
        d->fallback_every = every > 0 ? every : 0;
        d->misses = 0;
    }
}

void scan_decoder_free(scan_decoder *d)
{
    if (!d)
        return;
    zbar_image_scanner_destroy(d->zs);
    free(d->grey);
    free(d);
}

int scan_decode(scan_decoder *d, const unsigned char *grey, int width,
                int height, scan_found_fn *fn, void *arg)
{
    if (!d || !grey || width <= 0 || height <= 0 ||
        (long)width * height > SCAN_IMAGE_MAX_PIXELS)
        return -1;
    zbar_image_t *img = zbar_image_create();
    if (!img)
        return -1;
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, (unsigned)width, (unsigned)height);
    zbar_image_set_data(img, grey, (unsigned long)width * (unsigned long)height, NULL);
    int n = zbar_scan_image(d->zs, img);
    int found = 0;
    if (n > 0)
        for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s)) {
            if (zbar_symbol_get_type(s) != ZBAR_QRCODE)
                continue;
            found++;
            if (fn)
                fn(zbar_symbol_get_data(s), zbar_symbol_get_data_length(s), arg);
        }
    zbar_image_destroy(img);
    if (n < 0)
        return -1;
    if (found == 0 && d->fallback_every > 0 && d->misses++ % (unsigned)d->fallback_every == 0) {
        int z = scan_zxing_read(grey, width, height, fn, arg);
        found = z > 0 ? z : 0;
    }
    return found;
}

/* --- camera frames ---------------------------------------------------------- */

static const char *const PIX_NAMES[SCAN_PIX_COUNT] = {
    [SCAN_PIX_GREY] = "GREY", [SCAN_PIX_YUYV] = "YUYV", [SCAN_PIX_UYVY] = "UYVY",
    [SCAN_PIX_NV12] = "NV12", [SCAN_PIX_YU12] = "YU12", [SCAN_PIX_MJPEG] = "MJPG",
};

const char *scan_pixfmt_name(enum scan_pixfmt format)
{
    return (unsigned)format < SCAN_PIX_COUNT ? PIX_NAMES[format] : "?";
}

/* Bytes a row of luma samples takes in the format, and the bytes the
 * whole frame needs with stride; false if out of range or MJPEG. */
static bool raw_layout(const struct scan_frame *f, size_t *row, size_t *stride, size_t *need)
{
    if (!f || (unsigned)f->format >= SCAN_PIX_COUNT || f->format == SCAN_PIX_MJPEG ||
        f->width <= 0 || f->height <= 0 || (long)f->width * f->height > SCAN_IMAGE_MAX_PIXELS)
        return false;
    size_t w = (size_t)f->width, h = (size_t)f->height;
    bool packed = f->format == SCAN_PIX_YUYV || f->format == SCAN_PIX_UYVY;
    *row = packed ? 2 * w : w;
    *stride = f->stride ? f->stride : *row;
    if (*stride < *row || *stride > SIZE_MAX / 4 / h)
        return false;
    /* The last row needs only its own bytes; the chroma planes of NV12
     * and YU12 follow the luma and are not read. */
    *need = *stride * (h - 1) + *row;
    return true;
}

/* The size in a JPEG's frame header (SOFn), from the markers before the
 * first scan; false if there is none there or the markers are damaged. */
static bool jpeg_size(const unsigned char *p, size_t n, int *w, int *h)
{
    size_t i = 2;                   /* past SOI */
    while (i + 4 <= n) {
        if (p[i] != 0xFF)
            return false;
        unsigned m = p[i + 1];
        if (m == 0xFF) {            /* fill byte */
            i++;
            continue;
        }
        if (m == 0x01 || (m >= 0xD0 && m <= 0xD7)) {   /* TEM, RSTn: no length */
            i += 2;
            continue;
        }
        if (m == 0xD8 || m == 0xD9 || m == 0xDA)       /* SOI, EOI, SOS: no frame header */
            return false;
        size_t len = (size_t)p[i + 2] << 8 | p[i + 3];
        if (len < 2 || len > n - i - 2)
            return false;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (len < 8)
                return false;
            *h = p[i + 5] << 8 | p[i + 6];
            *w = p[i + 7] << 8 | p[i + 8];
            return true;
        }
        i += 2 + len;
    }
    return false;
}

bool scan_frame_valid(const struct scan_frame *f)
{
    if (!f || !f->data)
        return false;
    if (f->format == SCAN_PIX_MJPEG) {
        if (f->width <= 0 || f->height <= 0 || (long)f->width * f->height > SCAN_IMAGE_MAX_PIXELS)
            return false;
        /* SOI first; EOI last, past any zero padding a driver adds. */
        size_t n = f->len;
        while (n > 4 && f->data[n - 1] == 0)
            n--;
        if (n < 4 || f->data[0] != 0xFF || f->data[1] != 0xD8 || f->data[n - 2] != 0xFF ||
            f->data[n - 1] != 0xD9)
            return false;
        /* zbar's JPEG reader writes rows as wide as the size it is told,
         * into a buffer the size of the JPEG's own: they must agree. */
        int w, h;
        return jpeg_size(f->data, n, &w, &h) && w == f->width && h == f->height;
    }
    size_t row, stride, need;
    return raw_layout(f, &row, &stride, &need) && f->len >= need;
}

int scan_frame_grey(const struct scan_frame *f, unsigned char *grey)
{
    size_t row, stride, need;
    if (!grey || !f || !f->data || !raw_layout(f, &row, &stride, &need) || f->len < need)
        return -1;
    size_t w = (size_t)f->width, h = (size_t)f->height;
    for (size_t y = 0; y < h; y++) {
        const unsigned char *in = f->data + y * stride;
        unsigned char *out = grey + y * w;
        switch (f->format) {
        case SCAN_PIX_YUYV:
            for (size_t x = 0; x < w; x++)
                out[x] = in[2 * x];
            break;
        case SCAN_PIX_UYVY:
            for (size_t x = 0; x < w; x++)
                out[x] = in[2 * x + 1];
            break;
        default:    /* GREY, and the Y plane of NV12 and YU12 */
            memcpy(out, in, w);
            break;
        }
    }
    return 0;
}

/* An MJPEG frame through zbar's JPEG reader, then scanned. */
static int decode_jpeg(scan_decoder *d, const struct scan_frame *f, scan_found_fn *fn, void *arg)
{
    zbar_image_t *jpeg = zbar_image_create();
    if (!jpeg)
        return -1;
    zbar_image_set_format(jpeg, zbar_fourcc('M', 'J', 'P', 'G'));
    zbar_image_set_size(jpeg, (unsigned)f->width, (unsigned)f->height);
    zbar_image_set_data(jpeg, f->data, f->len, NULL);
    zbar_image_t *grey = zbar_image_convert(jpeg, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_destroy(jpeg);
    if (!grey)
        return -1;
    unsigned w = zbar_image_get_width(grey), h = zbar_image_get_height(grey);
    const void *data = zbar_image_get_data(grey);
    int n = -1;
    if (data && w > 0 && h > 0 && w <= INT_MAX && h <= INT_MAX &&
        zbar_image_get_data_length(grey) >= (unsigned long)w * h)
        n = scan_decode(d, data, (int)w, (int)h, fn, arg);
    zbar_image_destroy(grey);
    return n;
}

int scan_frame_decode(scan_decoder *d, const struct scan_frame *f, scan_found_fn *fn, void *arg)
{
    if (!d || !scan_frame_valid(f))
        return -1;
    if (f->format == SCAN_PIX_MJPEG)
        return decode_jpeg(d, f, fn, arg);
    if (f->format == SCAN_PIX_GREY && (f->stride == 0 || f->stride == (size_t)f->width))
        return scan_decode(d, f->data, f->width, f->height, fn, arg);
    size_t n = (size_t)f->width * (size_t)f->height;
    if (n > d->cap) {
        unsigned char *g = realloc(d->grey, n);
        if (!g)
            return -1;
        d->grey = g;
        d->cap = n;
    }
    if (scan_frame_grey(f, d->grey) != 0)
        return -1;
    return scan_decode(d, d->grey, f->width, f->height, fn, arg);
}
