/* images.c - PNG, JPEG and PGM files to 8-bit grey frames, and grey
 * frames to PNG.
 *
 * Reading uses libpng's simplified API, which turns any colour type and
 * bit depth into 8-bit grey and composes transparency on a background we
 * give (white, as the paper a transparent card is printed on), with no
 * setjmp on our side. JPEG (a phone's photo of a card) goes through
 * libjpeg(-turbo), which decodes straight to grey: only the luma is
 * decompressed. Writing needs a pHYs chunk (300 dpi, so a card prints at
 * 85 x 55 mm), which only libpng's full API writes. */
#include "scanner.h"

#include <errno.h>
#include <limits.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>

#include "i18n.h"

#define FILE_MAX (256L * 1024 * 1024)

static int image_fail(char *err, size_t errsz, const char *fmt, const char *arg)
{
    if (err && errsz)
        snprintf(err, errsz, fmt, arg);
    return -1;
}

static bool size_ok(long w, long h)
{
    return w > 0 && h > 0 && w <= INT_MAX && h <= INT_MAX && w * h <= SCAN_IMAGE_MAX_PIXELS;
}

/* --- PNG ----------------------------------------------------------------- */

static int read_png(const unsigned char *data, size_t len, struct scan_image *out,
                    char *err, size_t errsz)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&im, data, len))
        return image_fail(err, errsz, _("damaged PNG image (%s)"), im.message);
    if (!size_ok(im.width, im.height)) {
        png_image_free(&im);
        return image_fail(err, errsz, "%s", _("the image is too large to scan"));
    }
    im.format = PNG_FORMAT_GRAY;
    out->grey = malloc(PNG_IMAGE_SIZE(im));
    if (!out->grey) {
        png_image_free(&im);
        return image_fail(err, errsz, "%s", _("out of memory"));
    }
    png_color white = { 255, 255, 255 };
    if (!png_image_finish_read(&im, &white, out->grey, 0, NULL)) {
        free(out->grey);
        out->grey = NULL;
        return image_fail(err, errsz, _("damaged PNG image (%s)"), im.message);
    }
    out->width = (int)im.width;
    out->height = (int)im.height;
    return 0;
}

/* --- JPEG -------------------------------------------------------------------- */

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jb;
    char msg[JMSG_LENGTH_MAX];
};

static void on_jpeg_error(j_common_ptr j)
{
    struct jpeg_fail *f = (struct jpeg_fail *)j->err;
    f->mgr.format_message(j, f->msg);
    longjmp(f->jb, 1);
}

static void on_jpeg_output(j_common_ptr j)
{
    (void)j;    /* warnings (a file cut short, ...) are not printed: what
                   decodes is scanned, and zbar says if it holds no code */
}

/* The setjmp lives here, and nothing this function reads after a longjmp
 * is changed after the setjmp: the pixels go to out, which the caller
 * frees. 0, -1 damaged (reason in f->msg), -2 too large, -3 no memory. */
static int jpeg_rows(struct jpeg_decompress_struct *j, struct jpeg_fail *f,
                     const unsigned char *data, size_t len, struct scan_image *out)
{
    if (setjmp(f->jb))
        return -1;
    jpeg_mem_src(j, data, (unsigned long)len);
    jpeg_read_header(j, TRUE);
    if (!size_ok(j->image_width, j->image_height))
        return -2;
    j->out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(j);
    if (j->output_components != 1 || !(out->grey = malloc((size_t)j->output_width * j->output_height)))
        return -3;
    out->width = (int)j->output_width;
    out->height = (int)j->output_height;
    while (j->output_scanline < j->output_height) {
        JSAMPROW row = out->grey + (size_t)j->output_scanline * j->output_width;
        jpeg_read_scanlines(j, &row, 1);
    }
    jpeg_finish_decompress(j);
    return 0;
}

static int read_jpeg(const unsigned char *data, size_t len, struct scan_image *out,
                     char *err, size_t errsz)
{
    struct jpeg_decompress_struct j;
    struct jpeg_fail f;
    memset(&f, 0, sizeof f);
    j.err = jpeg_std_error(&f.mgr);
    f.mgr.error_exit = on_jpeg_error;
    f.mgr.output_message = on_jpeg_output;
    jpeg_create_decompress(&j);
    int rc = jpeg_rows(&j, &f, data, len, out);
    jpeg_destroy_decompress(&j);
    if (rc == 0)
        return 0;
    free(out->grey);
    memset(out, 0, sizeof *out);
    if (rc == -2)
        return image_fail(err, errsz, "%s", _("the image is too large to scan"));
    if (rc == -3)
        return image_fail(err, errsz, "%s", _("out of memory"));
    return image_fail(err, errsz, _("damaged JPEG image (%s)"), f.msg);
}

/* --- PGM (netpbm): P5 binary, 8 or 16 bits a sample; P2 plain text --------- */

struct cursor { const unsigned char *p, *end; };

static void skip_space(struct cursor *c)
{
    while (c->p < c->end) {
        if (*c->p == '#')
            while (c->p < c->end && *c->p != '\n')
                c->p++;
        else if (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r' ||
                 *c->p == '\v' || *c->p == '\f')
            c->p++;
        else
            break;
    }
}

/* A decimal number of at most 9 digits after optional white space and
 * comments; -1 if there is none. */
static long pnm_number(struct cursor *c)
{
    skip_space(c);
    long v = 0;
    int digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 10) {
        v = v * 10 + (*c->p++ - '0');
        digits++;
    }
    return digits == 0 || digits > 9 ? -1 : v;
}

static int read_pgm(const unsigned char *data, size_t len, struct scan_image *out,
                    char *err, size_t errsz)
{
    struct cursor c = { data + 2, data + len };
    bool plain = data[1] == '2';
    long w = pnm_number(&c), h = pnm_number(&c), maxval = pnm_number(&c);
    if (w < 0 || h < 0 || maxval < 1 || maxval > 65535)
        return image_fail(err, errsz, "%s", _("damaged PGM image (bad header)"));
    if (!size_ok(w, h))
        return image_fail(err, errsz, "%s", _("the image is too large to scan"));
    size_t n = (size_t)w * (size_t)h, bytes = maxval > 255 ? 2 : 1;
    if (!plain) {
        /* Exactly one white space character ends the header. */
        if (c.p >= c.end)
            return image_fail(err, errsz, "%s", _("damaged PGM image (no pixels)"));
        c.p++;
        if ((size_t)(c.end - c.p) < n * bytes)
            return image_fail(err, errsz, "%s", _("damaged PGM image (too few pixels)"));
    }
    out->grey = malloc(n);
    if (!out->grey)
        return image_fail(err, errsz, "%s", _("out of memory"));
    for (size_t i = 0; i < n; i++) {
        long v;
        if (plain)
            v = pnm_number(&c);
        else if (bytes == 2)
            v = c.p[2 * i] << 8 | c.p[2 * i + 1];
        else
            v = c.p[i];
        if (v < 0 || v > maxval) {
            free(out->grey);
            out->grey = NULL;
            return image_fail(err, errsz, "%s", _("damaged PGM image (bad pixel values)"));
        }
        out->grey[i] = (unsigned char)((v * 255 + maxval / 2) / maxval);
    }
    out->width = (int)w;
    out->height = (int)h;
    return 0;
}

int scan_image_read(const unsigned char *data, size_t len, struct scan_image *out,
                    char *err, size_t errsz)
{
    static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    memset(out, 0, sizeof *out);
    if (data && len >= 8 && memcmp(data, png_sig, 8) == 0)
        return read_png(data, len, out, err, errsz);
    if (data && len >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return read_jpeg(data, len, out, err, errsz);
    if (data && len >= 3 && data[0] == 'P' && (data[1] == '5' || data[1] == '2'))
        return read_pgm(data, len, out, err, errsz);
    return image_fail(err, errsz, "%s", _("not a PNG, JPEG or PGM image"));
}

unsigned char *scan_file_read(const char *path, size_t *len, char *why, size_t whysz)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f) {
        snprintf(why, whysz, "%s", strerror(errno));
        return NULL;
    }
    unsigned char *data = NULL;
    if (fstat(fileno(f), &st) != 0)
        snprintf(why, whysz, "%s", strerror(errno));
    else if (S_ISDIR(st.st_mode))
        snprintf(why, whysz, "%s", _("it is a directory"));
    else if (st.st_size > FILE_MAX)
        snprintf(why, whysz, "%s", _("the image is too large to scan"));
    else if (!(data = malloc(st.st_size ? (size_t)st.st_size : 1)))
        snprintf(why, whysz, "%s", _("out of memory"));
    else if (fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(why, whysz, "%s", strerror(ferror(f) ? errno : EIO));
        free(data);
        data = NULL;
    } else
        *len = (size_t)st.st_size;
    fclose(f);
    return data;
}

int scan_image_load(const char *path, struct scan_image *out, char *err, size_t errsz)
{
    char why[256];
    size_t len = 0;
    memset(out, 0, sizeof *out);
    unsigned char *data = scan_file_read(path, &len, why, sizeof why);
    int rc = data ? scan_image_read(data, len, out, why, sizeof why) : -1;
    free(data);
    if (rc != 0 && err && errsz)
        snprintf(err, errsz, _("cannot read %s: %s"), path, why);
    return rc;
}

void scan_image_free(struct scan_image *img)
{
    if (!img)
        return;
    free(img->grey);
    img->grey = NULL;
}

/* --- writing PNG ---------------------------------------------------------- */

struct membuf { unsigned char *buf; size_t len, cap; };

static void on_png_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void mem_write(png_structp png, png_bytep data, png_size_t len)
{
    struct membuf *m = png_get_io_ptr(png);
    if (m->len + len > m->cap) {
        size_t cap = m->cap ? m->cap : 16384;
        while (cap < m->len + len)
            cap *= 2;
        unsigned char *b = realloc(m->buf, cap);
        if (!b)
            png_error(png, "out of memory");
        m->buf = b;
        m->cap = cap;
    }
    memcpy(m->buf + m->len, data, len);
    m->len += len;
}

static void mem_flush(png_structp png)
{
    (void)png;
}

/* Rows of the picture to write: grey bytes, or cairo's 32-bit XRGB
 * pixels turned into RGB a row at a time. */
struct png_src {
    const unsigned char *pixels;
    int stride, width, height;
    bool xrgb;
    unsigned char *row;         /* width * 3 bytes for xrgb */
};

static const unsigned char *src_row(const struct png_src *src, int y)
{
    const unsigned char *p = src->pixels + (size_t)y * (size_t)src->stride;
    if (!src->xrgb)
        return p;
    const uint32_t *px = (const uint32_t *)(const void *)p;
    for (int x = 0; x < src->width; x++) {
        src->row[3 * x] = (unsigned char)(px[x] >> 16);
        src->row[3 * x + 1] = (unsigned char)(px[x] >> 8);
        src->row[3 * x + 2] = (unsigned char)px[x];
    }
    return src->row;
}

/* The setjmp lives in this function, whose locals never change after it,
 * so nothing is left indeterminate by a longjmp; the buffer belongs to
 * the caller. */
static int write_rows(png_structp png, png_infop info, const struct png_src *src, int dpi,
                      struct membuf *m)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_write_fn(png, m, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)src->width, (png_uint_32)src->height, 8,
                 src->xrgb ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (dpi > 0) {
        png_uint_32 per_metre = (png_uint_32)((dpi * 10000L + 127) / 254);
        png_set_pHYs(png, info, per_metre, per_metre, PNG_RESOLUTION_METER);
    }
    png_write_info(png, info);
    for (int y = 0; y < src->height; y++)
        png_write_row(png, src_row(src, y));
    png_write_end(png, info);
    return 0;
}

static int png_write_src(struct png_src *src, int dpi, unsigned char **png_out, size_t *len)
{
    *png_out = NULL;
    *len = 0;
    if (!src->pixels || !size_ok(src->width, src->height))
        return -1;
    if (src->xrgb && !(src->row = malloc((size_t)src->width * 3)))
        return -1;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error,
                                              on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        free(src->row);
        return -1;
    }
    struct membuf m = { 0 };
    int rc = write_rows(png, info, src, dpi, &m);
    png_destroy_write_struct(&png, &info);
    free(src->row);
    if (rc != 0) {
        free(m.buf);
        return -1;
    }
    *png_out = m.buf;
    *len = m.len;
    return 0;
}

int scan_png_write(const unsigned char *grey, int width, int height, int dpi,
                   unsigned char **png_out, size_t *len)
{
    struct png_src src = { grey, width, width, height, false, NULL };
    return png_write_src(&src, dpi, png_out, len);
}

int scan_png_write_xrgb(const unsigned char *xrgb, int stride, int width, int height, int dpi,
                        unsigned char **png_out, size_t *len)
{
    if (stride < width * 4)
        return -1;
    struct png_src src = { xrgb, stride, width, height, true, NULL };
    return png_write_src(&src, dpi, png_out, len);
}
