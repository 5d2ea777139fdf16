/* render.c - a card for the terminal, as PNG and as SVG.
 *
 * PNG and SVG share one layout in pixels at 300 dpi, so the print shop's
 * SVG and the PNG look the same:
 *
 *   +--------------------------------------------------+
 *   | [logo]  Kawiarnia Pod Lipą          (accent band) |
 *   +--------------------------------------------------+
 *   | +---------+   Łukasz Nowak                        |
 *   | |   QR    |                                       |
 *   | |         |   K1CG-QYPE-MBJA                      |
 *   | +---------+   0W3Q-2T33                           |
 *   +--------------------------------------------------+
 *
 * The PNG's text is set with Pango on cairo (FreeType and fontconfig
 * underneath), in DejaVu Sans, so "Lipą", "Ștefan" and "Őrs" print as
 * written; Pango rather than cairo's own "toy" text API because it falls
 * back to another installed font for a letter DejaVu lacks instead of
 * printing a box. Text that does not fit shrinks, then ends in "…"; the
 * same sizes and strings go into the SVG, which leaves the drawing of its
 * <text> to the printer's fonts so a print shop can still edit it.
 * Every output is verified by reading it back through scan_decode()
 * before it is returned. */
#include "scanner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairo.h>
#include <pango/pangocairo.h>
#include <sodium.h>

#include "i18n.h"
#include "util/util.h"

#define MARGIN 30
#define BAND_H 140          /* the accent band with the logo and the shop's name */
#define LOGO_MAX_W 240
#define LOGO_MAX_H 100
#define GAP 24
#define SHOP_PX_MAX 64      /* font sizes in pixels at 300 dpi: 64 px = 15 pt */
#define SHOP_PX_MIN 30
#define HOLDER_PX_MAX 60
#define HOLDER_PX_MIN 30
#define CODE_PX_MAX 52
#define TEXT_MAX 1024

static const char SANS[] = "DejaVu Sans";
static const char MONO[] = "DejaVu Sans Mono";

static int render_fail(char *err, size_t errsz, const char *msg)
{
    if (err && errsz)
        snprintf(err, errsz, "%s", msg);
    return -1;
}

int card_write_file(const char *path, const void *data, size_t len, unsigned mode,
                    char *err, size_t errsz)
{
    if (mode & ~0666u) {
        errno = EINVAL;
        goto failed;
    }
    size_t n = strlen(path);
    char *tmp = malloc(n + 8);
    if (!tmp)
        goto failed;
    snprintf(tmp, n + 8, "%s.XXXXXX", path);
    int fd = mkstemp(tmp);      /* 0600 from the start: never readable by others meanwhile */
    if (fd < 0) {
        free(tmp);
        goto failed;
    }
    const char *p = data;
    size_t left = len;
    /* An explicit mode, whatever the umask: the caller asked for it. */
    bool ok = fchmod(fd, (mode_t)mode) == 0;
    while (ok && left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        ok = w > 0;
        if (ok) {
            p += w;
            left -= (size_t)w;
        }
    }
    ok = ok && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = false;
    }
    if (!ok)
        unlink(tmp);
    free(tmp);
    if (ok)
        return 0;
    errno = e;
failed:
    if (err && errsz)
        snprintf(err, errsz, _("cannot write %s: %s"), path, strerror(errno));
    return -1;
}

static const char *no_read_back(void)
{
    return _("the card's QR code does not read back in any form the encoder can make; "
             "nothing was written (please report this)");
}

static bool module_dark(const struct qr_symbol *q, int x, int y)
{
    x -= QR_QUIET_ZONE;
    y -= QR_QUIET_ZONE;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && q->dark[y * q->width + x];
}

/* --- colours ----------------------------------------------------------------- */

/* The shop's accent (the program's shop.accent, named as the screens name
 * it) as the band's colour; none leaves the band white. */
struct rgb { double r, g, b; };

static bool accent_rgb(const char *name, struct rgb *out)
{
    static const struct { const char *name; struct rgb c; } ACCENTS[] = {
        { "green", { 0.18, 0.49, 0.20 } },   { "blue", { 0.08, 0.40, 0.75 } },
        { "red", { 0.78, 0.16, 0.16 } },     { "magenta", { 0.68, 0.08, 0.34 } },
        { "cyan", { 0.00, 0.51, 0.56 } },    { "yellow", { 0.98, 0.66, 0.15 } },
    };
    for (size_t i = 0; name && i < sizeof ACCENTS / sizeof ACCENTS[0]; i++)
        if (strcmp(name, ACCENTS[i].name) == 0) {
            *out = ACCENTS[i].c;
            return true;
        }
    return false;
}

/* Dark text on a light band, white on a dark one (relative luminance). */
static bool light(const struct rgb *c)
{
    return 0.2126 * c->r + 0.7152 * c->g + 0.0722 * c->b > 0.55;
}

/* --- text ---------------------------------------------------------------------- */

/* Text safe to print: controls and invalid UTF-8 left out, at most
 * TEXT_MAX - 4 bytes. */
static void printable(const char *in, char *out, size_t outsz)
{
    size_t pos = 0, len = in ? strlen(in) : 0;
    while (len > 0) {
        uint32_t cp;
        int n = utf8_decode(in, len, &cp);
        if (n < 0) {
            in++;
            len--;
            continue;
        }
        if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0)) {
            if (pos + (size_t)n + 1 > outsz)
                break;
            memcpy(out + pos, in, (size_t)n);
            pos += (size_t)n;
        }
        in += n;
        len -= (size_t)n;
    }
    out[pos] = '\0';
}

/* Pango keeps its font map for the life of the process; give it back at
 * exit. cairo's and fontconfig's own caches stay: resetting them
 * (cairo_debug_reset_static_data, FcFini) asserts when Pango's font
 * loading thread still holds a font, so the sanitizer build is told about
 * fontconfig's caches in tests/lsan.supp instead. */
static void fonts_release(void)
{
    pango_cairo_font_map_set_default(NULL);
}

static PangoLayout *text_layout(cairo_t *cr, const char *family, bool bold, int px, const char *text)
{
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(fonts_release);
    }
    PangoLayout *pl = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_new();
    pango_font_description_set_family(fd, family);
    pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
    pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
    pango_layout_set_font_description(pl, fd);
    pango_font_description_free(fd);
    pango_layout_set_text(pl, text, -1);
    return pl;
}

static int render_text_width(cairo_t *cr, const char *family, bool bold, int px, const char *text)
{
    PangoLayout *pl = text_layout(cr, family, bold, px, text);
    int w, h;
    pango_layout_get_pixel_size(pl, &w, &h);
    g_object_unref(pl);
    return w;
}

/* One line of text in width w: the largest size from max down to min that
 * fits, else min with code points taken off the end and "…" put there. */
struct line { char text[TEXT_MAX]; int px; };

static void fit_line(cairo_t *cr, const char *family, bool bold, const char *in, int w,
                     int max, int min, struct line *out)
{
    printable(in, out->text, sizeof out->text - 4);
    for (out->px = max; out->px > min; out->px -= 2)
        if (render_text_width(cr, family, bold, out->px, out->text) <= w)
            return;
    out->px = min;
    size_t len = strlen(out->text);
    while (len > 0 && render_text_width(cr, family, bold, min, out->text) > w) {
        do
            len--;
        while (len > 0 && ((unsigned char)out->text[len] & 0xC0) == 0x80);
        memcpy(out->text + len, "\xe2\x80\xa6", 4);     /* U+2026 */
    }
}

/* --- layout -------------------------------------------------------------------- */

struct layout {
    bool band;                          /* filled with the accent */
    struct rgb accent;
    bool dark_text;                     /* on the band */
    int logo_x, logo_y, logo_w, logo_h; /* 0 wide: no logo */
    double logo_scale;
    struct line shop;
    int shop_x, shop_y;                 /* top-left of the shop's line */
    int module_px, qr_x, qr_y, qr_side;
    int text_x, text_w;
    struct line holder;
    int holder_y;
    char code1[32], code2[32];          /* the human form in two lines */
    int code_px, code_y1, code_y2;
};

static int line_height(cairo_t *cr, const char *family, bool bold, int px)
{
    PangoLayout *pl = text_layout(cr, family, bold, px, "ÁŁȘŐgjpq");
    int w, h;
    pango_layout_get_pixel_size(pl, &w, &h);
    g_object_unref(pl);
    return h;
}

static void lay_out(cairo_t *cr, const struct card_face *face, const struct qr_symbol *q,
                    cairo_surface_t *logo, struct layout *l)
{
    memset(l, 0, sizeof *l);
    l->band = accent_rgb(face->accent, &l->accent);
    l->dark_text = !l->band || light(&l->accent);
    int x = MARGIN;
    if (logo) {
        double w = cairo_image_surface_get_width(logo), h = cairo_image_surface_get_height(logo);
        l->logo_scale = LOGO_MAX_W / w < LOGO_MAX_H / h ? LOGO_MAX_W / w : LOGO_MAX_H / h;
        l->logo_w = (int)(w * l->logo_scale);
        l->logo_h = (int)(h * l->logo_scale);
        l->logo_x = MARGIN;
        l->logo_y = (BAND_H - l->logo_h) / 2;
        x += l->logo_w + GAP;
    }
    fit_line(cr, SANS, true, face->shop, CARD_PNG_WIDTH - MARGIN - x, SHOP_PX_MAX, SHOP_PX_MIN, &l->shop);
    l->shop_x = x;
    l->shop_y = (BAND_H - line_height(cr, SANS, true, l->shop.px)) / 2;

    /* The QR on the left below the band, as large as fits. */
    l->qr_y = BAND_H + GAP / 2;
    l->module_px = (CARD_PNG_HEIGHT - l->qr_y - MARGIN / 2) / qr_full_width(q);
    l->qr_side = l->module_px * qr_full_width(q);
    l->qr_x = MARGIN / 2;
    l->text_x = l->qr_x + l->qr_side + GAP / 2;
    l->text_w = CARD_PNG_WIDTH - MARGIN - l->text_x;
    int symbol_top = l->qr_y + QR_QUIET_ZONE * l->module_px;
    int symbol_bottom = l->qr_y + l->qr_side - QR_QUIET_ZONE * l->module_px;

    /* The holder's name level with the symbol's top edge. */
    fit_line(cr, SANS, true, face->holder, l->text_w, HOLDER_PX_MAX, HOLDER_PX_MIN, &l->holder);
    l->holder_y = symbol_top;

    /* The code as two lines ending level with the symbol's bottom edge:
     * "K1CG-QYPE-MBJA" and "0W3Q-2T33", as large as the wider fits. */
    const char *h = face->human;
    size_t n = strlen(h), split = n > 15 && h[14] == '-' ? 14 : n;
    snprintf(l->code1, sizeof l->code1, "%.*s", (int)split, h);
    snprintf(l->code2, sizeof l->code2, "%s", split < n ? h + split + 1 : "");
    for (l->code_px = CODE_PX_MAX; l->code_px > 12; l->code_px -= 2)
        if (render_text_width(cr, MONO, false, l->code_px, l->code1) <= l->text_w)
            break;
    int lh = line_height(cr, MONO, false, l->code_px);
    l->code_y2 = symbol_bottom - lh;
    l->code_y1 = l->code2[0] ? l->code_y2 - lh : l->code_y2;
}

/* --- PNG ------------------------------------------------------------------- */

struct expect { const char *text; bool found; };

static void match(const char *text, size_t len, void *arg)
{
    struct expect *e = arg;
    if (len == strlen(e->text) && memcmp(text, e->text, len) == 0)
        e->found = true;
}

/* Decodes the PNG as any reader would: from its bytes. */
static bool png_reads_back(scan_decoder *d, const unsigned char *png, size_t len, const char *text)
{
    struct scan_image img;
    if (scan_image_read(png, len, &img, NULL, 0) != 0)
        return false;
    struct expect e = { text, false };
    scan_decode(d, img.grey, img.width, img.height, match, &e);
    scan_image_free(&img);
    return e.found;
}

static void draw_text(cairo_t *cr, const char *family, bool bold, int px, int x, int y,
                      const char *text)
{
    PangoLayout *pl = text_layout(cr, family, bold, px, text);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, pl);
    g_object_unref(pl);
}

static void draw_card(cairo_t *cr, const struct card_face *face, const struct qr_symbol *q,
                      cairo_surface_t *logo, const struct layout *l)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    if (l->band) {
        cairo_set_source_rgb(cr, l->accent.r, l->accent.g, l->accent.b);
        cairo_rectangle(cr, 0, 0, CARD_PNG_WIDTH, BAND_H);
        cairo_fill(cr);
    } else {            /* a hairline under a white band */
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
        cairo_rectangle(cr, MARGIN, BAND_H - 3, CARD_PNG_WIDTH - 2 * MARGIN, 3);
        cairo_fill(cr);
    }
    if (logo) {
        cairo_save(cr);
        cairo_translate(cr, l->logo_x, l->logo_y);
        cairo_scale(cr, l->logo_scale, l->logo_scale);
        cairo_set_source_surface(cr, logo, 0, 0);
        cairo_paint(cr);
        cairo_restore(cr);
    }
    double ink = l->dark_text ? 0 : 1;
    cairo_set_source_rgb(cr, ink, ink, ink);
    draw_text(cr, SANS, true, l->shop.px, l->shop_x, l->shop_y, l->shop.text);

    /* Modules on whole pixels, no smoothing: the symbol stays crisp. */
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width; x++)
            if (q->dark[y * q->width + x])
                cairo_rectangle(cr, l->qr_x + (x + QR_QUIET_ZONE) * l->module_px,
                                l->qr_y + (y + QR_QUIET_ZONE) * l->module_px, l->module_px, l->module_px);
    cairo_fill(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);

    draw_text(cr, SANS, true, l->holder.px, l->text_x, l->holder_y, l->holder.text);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    draw_text(cr, MONO, false, l->code_px, l->text_x, l->code_y1, l->code1);
    if (l->code2[0])
        draw_text(cr, MONO, false, l->code_px, l->text_x, l->code_y2, l->code2);
    (void)face;
}

/* The logo's PNG bytes as a cairo surface, or NULL (err set) if they are
 * not a PNG cairo can read. */
struct bytes { const unsigned char *p; size_t left; };

static cairo_status_t read_bytes(void *arg, unsigned char *data, unsigned int len)
{
    struct bytes *b = arg;
    if (len > b->left)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, b->p, len);
    b->p += len;
    b->left -= len;
    return CAIRO_STATUS_SUCCESS;
}

static cairo_surface_t *logo_surface(const struct card_face *face, char *err, size_t errsz)
{
    struct bytes b = { face->logo_png, face->logo_len };
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(read_bytes, &b);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS || cairo_image_surface_get_width(s) < 1 ||
        cairo_image_surface_get_height(s) < 1) {
        cairo_surface_destroy(s);
        render_fail(err, errsz, _("the logo is not a PNG image that can be read; use a PNG file"));
        return NULL;
    }
    return s;
}

/* The drawn card as an RGB PNG at 300 dpi. */
static int card_png_variant(const struct card_face *face, const struct qr_symbol *q,
                            cairo_surface_t *logo, unsigned char **png, size_t *len)
{
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, CARD_PNG_WIDTH, CARD_PNG_HEIGHT);
    cairo_t *cr = cairo_create(surf);
    int rc = -1;
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS) {
        struct layout l;
        lay_out(cr, face, q, logo, &l);
        draw_card(cr, face, q, logo, &l);
        cairo_surface_flush(surf);
        rc = scan_png_write_xrgb(cairo_image_surface_get_data(surf), cairo_image_surface_get_stride(surf),
                                 CARD_PNG_WIDTH, CARD_PNG_HEIGHT, CARD_PNG_DPI, png, len);
    }
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    return rc;
}

int card_render_png(const struct card_face *face, unsigned char **png, size_t *len,
                    char *err, size_t errsz)
{
    *png = NULL;
    *len = 0;
    cairo_surface_t *logo = NULL;
    if (face->logo_png && !(logo = logo_surface(face, err, errsz)))
        return -1;
    scan_decoder *d = scan_decoder_new();
    if (!d) {
        cairo_surface_destroy(logo);
        return render_fail(err, errsz, _("out of memory"));
    }
    for (int n = 0; n < QR_VARIANTS && !*png; n++) {
        struct qr_symbol q;
        if (qr_variant(face->qr, n, &q) != 0)
            continue;
        if (card_png_variant(face, &q, logo, png, len) == 0 &&
            !png_reads_back(d, *png, *len, face->qr)) {
            free(*png);
            *png = NULL;
            *len = 0;
        }
        qr_free(&q);
    }
    cairo_surface_destroy(logo);
    scan_decoder_free(d);
    return *png ? 0 : render_fail(err, errsz, no_read_back());
}

/* --- SVG ------------------------------------------------------------------- */

/* Text content for XML: the five special characters escaped, controls and
 * invalid UTF-8 left out. */
static void xml_text(FILE *f, const char *s)
{
    size_t len = strlen(s);
    while (len > 0) {
        uint32_t cp;
        int n = utf8_decode(s, len, &cp);
        if (n < 0) {
            s++;
            len--;
            continue;
        }
        switch (cp) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if (cp >= 0x20 && cp != 0x7F && !(cp >= 0x80 && cp < 0xA0))
                fwrite(s, 1, (size_t)n, f);
        }
        s += n;
        len -= (size_t)n;
    }
}

static void svg_text(FILE *f, const char *family, bool bold, int px, int x, int y, const char *fill,
                     const char *text)
{
    /* Pango placed the line's top at y; SVG places its baseline: about
     * 0.93 em below the top in DejaVu. */
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-family=\"%s, sans-serif\"%s font-size=\"%d\" fill=\"%s\">",
            x, y + px * 93 / 100, family, bold ? " font-weight=\"bold\"" : "", px, fill);
    xml_text(f, text);
    fputs("</text>\n", f);
}

static void svg_write(FILE *f, const struct card_face *face, const struct qr_symbol *q,
                      const struct layout *l)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"85mm\" "
               "height=\"55mm\" viewBox=\"0 0 %d %d\">\n", CARD_PNG_WIDTH, CARD_PNG_HEIGHT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", CARD_PNG_WIDTH, CARD_PNG_HEIGHT);
    if (l->band)
        fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#%02x%02x%02x\"/>\n", CARD_PNG_WIDTH, BAND_H,
                (int)(l->accent.r * 255 + 0.5), (int)(l->accent.g * 255 + 0.5), (int)(l->accent.b * 255 + 0.5));
    else
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"3\" fill=\"#999\"/>\n", MARGIN, BAND_H - 3,
                CARD_PNG_WIDTH - 2 * MARGIN);
    if (l->logo_w > 0) {
        fprintf(f, "<image x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" href=\"data:image/png;base64,",
                l->logo_x, l->logo_y, l->logo_w, l->logo_h);
        size_t n = sodium_base64_ENCODED_LEN(face->logo_len, sodium_base64_VARIANT_ORIGINAL);
        char *b64 = malloc(n);
        if (b64) {
            sodium_bin2base64(b64, n, face->logo_png, face->logo_len, sodium_base64_VARIANT_ORIGINAL);
            fputs(b64, f);
            free(b64);
        }
        fputs("\"/>\n", f);
    }
    svg_text(f, SANS, true, l->shop.px, l->shop_x, l->shop_y, l->dark_text ? "#000" : "#fff", l->shop.text);
    fputs("<g fill=\"#000\" shape-rendering=\"crispEdges\">\n", f);
    /* One rect per horizontal run of dark modules. */
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width;) {
            if (!q->dark[y * q->width + x]) {
                x++;
                continue;
            }
            int run = 1;
            while (x + run < q->width && q->dark[y * q->width + x + run])
                run++;
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
                    l->qr_x + (x + QR_QUIET_ZONE) * l->module_px,
                    l->qr_y + (y + QR_QUIET_ZONE) * l->module_px, run * l->module_px, l->module_px);
            x += run;
        }
    fputs("</g>\n", f);
    svg_text(f, SANS, true, l->holder.px, l->text_x, l->holder_y, "#000", l->holder.text);
    svg_text(f, MONO, false, l->code_px, l->text_x, l->code_y1, "#262626", l->code1);
    if (l->code2[0])
        svg_text(f, MONO, false, l->code_px, l->text_x, l->code_y2, "#262626", l->code2);
    fputs("</svg>\n", f);
}

int card_render_svg(const struct card_face *face, char **svg, char *err, size_t errsz)
{
    *svg = NULL;
    cairo_surface_t *logo = NULL;
    if (face->logo_png && !(logo = logo_surface(face, err, errsz)))
        return -1;
    struct qr_symbol q;
    if (qr_encode(face->qr, &q) != 0) {
        cairo_surface_destroy(logo);
        return render_fail(err, errsz, no_read_back());
    }
    /* The same layout as the PNG, measured with the same fonts. */
    cairo_surface_t *measure = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(measure);
    struct layout l;
    lay_out(cr, face, &q, logo, &l);
    cairo_destroy(cr);
    cairo_surface_destroy(measure);
    cairo_surface_destroy(logo);
    size_t size;
    FILE *f = open_memstream(svg, &size);
    if (!f) {
        qr_free(&q);
        return render_fail(err, errsz, _("out of memory"));
    }
    svg_write(f, face, &q, &l);
    qr_free(&q);
    if (fclose(f) != 0 || !*svg) {
        free(*svg);
        *svg = NULL;
        return render_fail(err, errsz, _("out of memory"));
    }
    return 0;
}

/* --- terminal -------------------------------------------------------------- */

static const char BLOCK_FULL[] = "\xe2\x96\x88";   /* U+2588 */
static const char BLOCK_UPPER[] = "\xe2\x96\x80";  /* U+2580 */
static const char BLOCK_LOWER[] = "\xe2\x96\x84";  /* U+2584 */
/* Black on white: 47 where bright white (107) is unknown. */
static const char ON[] = "\x1b[30;47;107m", OFF[] = "\x1b[0m";

static void term_write(FILE *f, const struct qr_symbol *q, bool color)
{
    int full = qr_full_width(q);
    for (int y = 0; y < full; y += 2) {
        if (color)
            fputs(ON, f);
        for (int x = 0; x < full; x++) {
            bool top = module_dark(q, x, y), bottom = module_dark(q, x, y + 1);
            fputs(top && bottom ? BLOCK_FULL : top ? BLOCK_UPPER : bottom ? BLOCK_LOWER : " ", f);
        }
        if (color)
            fputs(OFF, f);
        fputc('\n', f);
    }
}

char *qr_render_term(const struct qr_symbol *q, bool color)
{
    char *out = NULL;
    size_t size;
    FILE *f = open_memstream(&out, &size);
    if (!f)
        return NULL;
    term_write(f, q, color);
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* A line centred over the symbol; terminal controls are left out so a
 * shop name cannot move the cursor. */
static void term_line(FILE *f, const char *s, int full)
{
    char clean[1024];
    size_t n = 0;
    for (; *s && n + 1 < sizeof clean; s++)
        if ((unsigned char)*s >= 0x20 && *s != 0x7F)
            clean[n++] = *s;
    clean[n] = '\0';
    int w = utf8_width(clean);
    if (w < 0)
        w = (int)n;
    fprintf(f, "%*s%s\n", w < full ? (full - w) / 2 : 0, "", clean);
}

int card_render_term(const struct card_face *face, bool color, char **text, char *err,
                     size_t errsz)
{
    *text = NULL;
    struct qr_symbol q;
    if (qr_encode(face->qr, &q) != 0)
        return render_fail(err, errsz, no_read_back());
    size_t size;
    FILE *f = open_memstream(text, &size);
    if (!f) {
        qr_free(&q);
        return render_fail(err, errsz, _("out of memory"));
    }
    term_line(f, face->shop ? face->shop : "", qr_full_width(&q));
    term_write(f, &q, color);
    if (face->holder && face->holder[0])
        term_line(f, face->holder, qr_full_width(&q));
    term_line(f, face->human, qr_full_width(&q));
    qr_free(&q);
    if (fclose(f) != 0 || !*text) {
        free(*text);
        *text = NULL;
        return render_fail(err, errsz, _("out of memory"));
    }
    return 0;
}
