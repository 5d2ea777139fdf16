/* render.c - a card for the terminal, as PNG and as SVG.
 *
 * PNG and SVG share one layout in pixels at 300 dpi, so the print shop's
 * SVG and the PNG look the same. The PNG's text is drawn with a built-in
 * 5x9 bitmap font scaled up (no font library needed on the till); the SVG
 * leaves text to the printer's fonts. Every output is verified by reading
 * it back through scan_decode() before it is returned. */
#include "scanner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util/util.h"

#define GLYPH_W 5
#define GLYPH_H 9       /* rows 0-6 above the baseline, 7-8 descenders */
#define GLYPH_CAP 7
#define ADVANCE 6       /* glyph plus one column of space */
#define NAME_SCALE_MAX 7
#define CODE_SCALE 5
#define MARGIN 30
#define GAP 10

static const unsigned char FONT[95][GLYPH_H];   /* ' ' to '~', at the end */

static int fail(char *err, size_t errsz, const char *msg)
{
    if (err && errsz)
        snprintf(err, errsz, "%s", msg);
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

/* --- text ------------------------------------------------------------------ */

/* Is cp an upper-case letter of Latin-1 or Latin Extended-A (or the
 * Romanian comma-below letters)? Their folded form is lower case, so this
 * restores the case in the card font. */
static bool latin_upper(uint32_t cp)
{
    if (cp >= 0xC0 && cp <= 0xDE)
        return cp != 0xD7;
    if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177) ||
        (cp >= 0x218 && cp <= 0x21B))
        return cp % 2 == 0;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return cp % 2 == 1;
    return cp == 0x178 || cp == 0x1E9E;
}

/* The shop name in the bitmap font's ASCII: "Kawiarnia Pod Lipą" becomes
 * "Kawiarnia Pod Lipa", "Ștefan" "Stefan"; what has no ASCII form is '?'. */
static void ascii_form(const char *in, char *out, size_t outsz)
{
    size_t pos = 0, len = strlen(in);
    while (len > 0 && pos + 4 < outsz) {
        uint32_t cp;
        int n = utf8_decode(in, len, &cp);
        if (n < 0) {
            out[pos++] = '?';
            in++;
            len--;
            continue;
        }
        char one[5] = { 0 }, folded[16];
        memcpy(one, in, (size_t)n);
        in += n;
        len -= (size_t)n;
        if (cp >= 0x20 && cp < 0x7F) {
            out[pos++] = (char)cp;
        } else if (cp < 0x20 || cp == 0x7F || (cp >= 0x300 && cp <= 0x36F)) {
            continue;   /* controls and combining accents */
        } else if (text_fold(one, folded, sizeof folded) != 0) {
            out[pos++] = '?';
        } else if (folded[0] == '\0') {
            out[pos++] = ' ';   /* a Unicode space */
        } else {
            bool ascii = true;
            for (const char *p = folded; *p; p++)
                ascii = ascii && *p > 0x20 && *p < 0x7F;
            if (!ascii || strlen(folded) > 3) {
                out[pos++] = '?';
                continue;
            }
            for (size_t i = 0; folded[i]; i++)
                out[pos++] = i == 0 && latin_upper(cp) && folded[0] >= 'a' && folded[0] <= 'z'
                                 ? (char)(folded[0] - 'a' + 'A') : folded[i];
        }
    }
    out[pos] = '\0';
}

static int text_width(const char *ascii, int scale)
{
    size_t n = strlen(ascii);
    return n ? (int)n * ADVANCE * scale - scale : 0;
}

static void draw_text(unsigned char *grey, int w, int h, int x, int y, int scale,
                      const char *ascii)
{
    for (; *ascii; ascii++, x += ADVANCE * scale) {
        const unsigned char *g = FONT[*ascii >= ' ' && *ascii <= '~' ? *ascii - ' ' : '?' - ' '];
        for (int row = 0; row < GLYPH_H; row++)
            for (int col = 0; col < GLYPH_W; col++) {
                if (!(g[row] >> (GLYPH_W - 1 - col) & 1))
                    continue;
                for (int py = y + row * scale; py < y + (row + 1) * scale; py++)
                    for (int px = x + col * scale; px < x + (col + 1) * scale; px++)
                        if (px >= 0 && py >= 0 && px < w && py < h)
                            grey[(size_t)py * (size_t)w + (size_t)px] = 0;
            }
    }
}

/* --- layout ---------------------------------------------------------------- */

/* Name on top, QR in the middle, code underneath, centred as one block.
 * The name's band is as tall as the largest name, so every card of a
 * shop has its QR in the same place. */
struct layout {
    char name[512];
    int name_scale, name_x, name_y;     /* top-left of the name's glyphs */
    int module_px, qr_x, qr_y, qr_side;
    int code_x, code_y;
};

static void lay_out(const struct card_face *face, const struct qr_symbol *q, struct layout *l)
{
    ascii_form(face->shop ? face->shop : "", l->name, sizeof l->name);
    int avail = CARD_PNG_WIDTH - 2 * MARGIN, n = (int)strlen(l->name);
    l->name_scale = n ? avail / (n * ADVANCE) : 1;
    if (l->name_scale > NAME_SCALE_MAX)
        l->name_scale = NAME_SCALE_MAX;
    if (l->name_scale < 1)
        l->name_scale = 1;
    int name_band = GLYPH_H * NAME_SCALE_MAX, code_h = GLYPH_CAP * CODE_SCALE;
    int fixed = 2 * MARGIN + name_band + GAP + GAP + code_h;
    l->module_px = (CARD_PNG_HEIGHT - fixed) / qr_full_width(q);
    l->qr_side = l->module_px * qr_full_width(q);
    int top = (CARD_PNG_HEIGHT - (name_band + GAP + l->qr_side + GAP + code_h)) / 2;
    l->name_x = (CARD_PNG_WIDTH - text_width(l->name, l->name_scale)) / 2;
    l->name_y = top + name_band - GLYPH_H * l->name_scale;
    l->qr_x = (CARD_PNG_WIDTH - l->qr_side) / 2;
    l->qr_y = top + name_band + GAP;
    l->code_x = (CARD_PNG_WIDTH - text_width(face->human, CODE_SCALE)) / 2;
    l->code_y = l->qr_y + l->qr_side + GAP;
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

static int card_png_variant(const struct card_face *face, const struct qr_symbol *q,
                            unsigned char *grey, unsigned char **png, size_t *len)
{
    struct layout l;
    lay_out(face, q, &l);
    memset(grey, 255, (size_t)CARD_PNG_WIDTH * CARD_PNG_HEIGHT);
    draw_text(grey, CARD_PNG_WIDTH, CARD_PNG_HEIGHT, l.name_x, l.name_y, l.name_scale, l.name);
    qr_draw(q, grey, CARD_PNG_WIDTH, CARD_PNG_HEIGHT, l.qr_x, l.qr_y, l.module_px);
    draw_text(grey, CARD_PNG_WIDTH, CARD_PNG_HEIGHT, l.code_x, l.code_y, CODE_SCALE, face->human);
    return scan_png_write(grey, CARD_PNG_WIDTH, CARD_PNG_HEIGHT, CARD_PNG_DPI, png, len);
}

int card_render_png(const struct card_face *face, unsigned char **png, size_t *len,
                    char *err, size_t errsz)
{
    *png = NULL;
    *len = 0;
    unsigned char *grey = malloc((size_t)CARD_PNG_WIDTH * CARD_PNG_HEIGHT);
    scan_decoder *d = scan_decoder_new();
    if (!grey || !d) {
        free(grey);
        scan_decoder_free(d);
        return fail(err, errsz, _("out of memory"));
    }
    for (int n = 0; n < QR_VARIANTS && !*png; n++) {
        struct qr_symbol q;
        if (qr_variant(face->qr, n, &q) != 0)
            continue;
        if (card_png_variant(face, &q, grey, png, len) == 0 &&
            !png_reads_back(d, *png, *len, face->qr)) {
            free(*png);
            *png = NULL;
            *len = 0;
        }
        qr_free(&q);
    }
    free(grey);
    scan_decoder_free(d);
    return *png ? 0 : fail(err, errsz, no_read_back());
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

static void svg_write(FILE *f, const struct card_face *face, const struct qr_symbol *q)
{
    struct layout l;
    lay_out(face, q, &l);
    /* Sizes chosen so the printer's fonts match the PNG: a sans-serif cap
     * is about 0.7 em, a monospace advance about 0.6 em. */
    int name_size = l.name_scale * GLYPH_CAP * 10 / 7;
    int code_size = CODE_SCALE * ADVANCE * 10 / 6;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"85mm\" "
               "height=\"55mm\" viewBox=\"0 0 %d %d\">\n", CARD_PNG_WIDTH, CARD_PNG_HEIGHT);
    fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", CARD_PNG_WIDTH, CARD_PNG_HEIGHT);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-family=\"DejaVu Sans, Arial, sans-serif\" "
               "font-size=\"%d\" text-anchor=\"middle\">",
            CARD_PNG_WIDTH / 2, l.name_y + GLYPH_CAP * l.name_scale, name_size);
    xml_text(f, face->shop ? face->shop : "");
    fputs("</text>\n<g fill=\"#000\" shape-rendering=\"crispEdges\">\n", f);
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
                    l.qr_x + (x + QR_QUIET_ZONE) * l.module_px,
                    l.qr_y + (y + QR_QUIET_ZONE) * l.module_px, run * l.module_px, l.module_px);
            x += run;
        }
    fprintf(f, "</g>\n<text x=\"%d\" y=\"%d\" font-family=\"DejaVu Sans Mono, Courier New, "
               "monospace\" font-size=\"%d\" text-anchor=\"middle\">",
            CARD_PNG_WIDTH / 2, l.code_y + GLYPH_CAP * CODE_SCALE, code_size);
    xml_text(f, face->human);
    fputs("</text>\n</svg>\n", f);
}

int card_render_svg(const struct card_face *face, char **svg, char *err, size_t errsz)
{
    *svg = NULL;
    struct qr_symbol q;
    if (qr_encode(face->qr, &q) != 0)
        return fail(err, errsz, no_read_back());
    size_t size;
    FILE *f = open_memstream(svg, &size);
    if (!f) {
        qr_free(&q);
        return fail(err, errsz, _("out of memory"));
    }
    svg_write(f, face, &q);
    qr_free(&q);
    if (fclose(f) != 0 || !*svg) {
        free(*svg);
        *svg = NULL;
        return fail(err, errsz, _("out of memory"));
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
        return fail(err, errsz, no_read_back());
    size_t size;
    FILE *f = open_memstream(text, &size);
    if (!f) {
        qr_free(&q);
        return fail(err, errsz, _("out of memory"));
    }
    term_line(f, face->shop ? face->shop : "", qr_full_width(&q));
    term_write(f, &q, color);
    term_line(f, face->human, qr_full_width(&q));
    qr_free(&q);
    if (fclose(f) != 0 || !*text) {
        free(*text);
        *text = NULL;
        return fail(err, errsz, _("out of memory"));
    }
    return 0;
}

/* --- the font ---------------------------------------------------------------- */

/* 5x9 glyphs for ' ' to '~'; each row's five bits are its pixels, left
 * to right from bit 4. Drawn for legibility at print size, not copied
 * from any font. */
static const unsigned char FONT[95][GLYPH_H] = {
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /*   */
    { 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04, 0x00, 0x00 }, /* ! */
    { 0x0A, 0x0A, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* " */
    { 0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A, 0x00, 0x00 }, /* # */
    { 0x04, 0x0F, 0x14, 0x0E, 0x05, 0x1E, 0x04, 0x00, 0x00 }, /* $ */
    { 0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03, 0x00, 0x00 }, /* % */
    { 0x0C, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0D, 0x00, 0x00 }, /* & */
    { 0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* ' */
    { 0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02, 0x00, 0x00 }, /* ( */
    { 0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08, 0x00, 0x00 }, /* ) */
    { 0x00, 0x04, 0x15, 0x0E, 0x15, 0x04, 0x00, 0x00, 0x00 }, /* asterisk */
    { 0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00, 0x00, 0x00 }, /* + */
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C, 0x04, 0x08 }, /* , */
    { 0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* - */
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C, 0x00, 0x00 }, /* . */
    { 0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00, 0x00, 0x00 }, /* slash */
    { 0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E, 0x00, 0x00 }, /* 0 */
    { 0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00 }, /* 1 */
    { 0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F, 0x00, 0x00 }, /* 2 */
    { 0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E, 0x00, 0x00 }, /* 3 */
    { 0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02, 0x00, 0x00 }, /* 4 */
    { 0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E, 0x00, 0x00 }, /* 5 */
    { 0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E, 0x00, 0x00 }, /* 6 */
    { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08, 0x00, 0x00 }, /* 7 */
    { 0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E, 0x00, 0x00 }, /* 8 */
    { 0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C, 0x00, 0x00 }, /* 9 */
    { 0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00, 0x00, 0x00 }, /* : */
    { 0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x04, 0x08, 0x00 }, /* ; */
    { 0x00, 0x02, 0x04, 0x08, 0x04, 0x02, 0x00, 0x00, 0x00 }, /* < */
    { 0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00, 0x00, 0x00 }, /* = */
    { 0x00, 0x08, 0x04, 0x02, 0x04, 0x08, 0x00, 0x00, 0x00 }, /* > */
    { 0x0E, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04, 0x00, 0x00 }, /* ? */
    { 0x0E, 0x11, 0x17, 0x15, 0x17, 0x10, 0x0F, 0x00, 0x00 }, /* @ */
    { 0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, 0x00, 0x00 }, /* A */
    { 0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E, 0x00, 0x00 }, /* B */
    { 0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E, 0x00, 0x00 }, /* C */
    { 0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C, 0x00, 0x00 }, /* D */
    { 0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F, 0x00, 0x00 }, /* E */
    { 0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10, 0x00, 0x00 }, /* F */
    { 0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F, 0x00, 0x00 }, /* G */
    { 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11, 0x00, 0x00 }, /* H */
    { 0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00 }, /* I */
    { 0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C, 0x00, 0x00 }, /* J */
    { 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11, 0x00, 0x00 }, /* K */
    { 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F, 0x00, 0x00 }, /* L */
    { 0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11, 0x00, 0x00 }, /* M */
    { 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11, 0x00, 0x00 }, /* N */
    { 0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00 }, /* O */
    { 0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10, 0x00, 0x00 }, /* P */
    { 0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D, 0x00, 0x00 }, /* Q */
    { 0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11, 0x00, 0x00 }, /* R */
    { 0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E, 0x00, 0x00 }, /* S */
    { 0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00 }, /* T */
    { 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00 }, /* U */
    { 0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04, 0x00, 0x00 }, /* V */
    { 0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A, 0x00, 0x00 }, /* W */
    { 0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11, 0x00, 0x00 }, /* X */
    { 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00 }, /* Y */
    { 0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F, 0x00, 0x00 }, /* Z */
    { 0x0E, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0E, 0x00, 0x00 }, /* [ */
    { 0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00, 0x00, 0x00 }, /* backslash */
    { 0x0E, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0E, 0x00, 0x00 }, /* ] */
    { 0x04, 0x0A, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* ^ */
    { 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1F, 0x00 }, /* _ */
    { 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 }, /* ` */
    { 0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F, 0x00, 0x00 }, /* a */
    { 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E, 0x00, 0x00 }, /* b */
    { 0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E, 0x00, 0x00 }, /* c */
    { 0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F, 0x00, 0x00 }, /* d */
    { 0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E, 0x00, 0x00 }, /* e */
    { 0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08, 0x00, 0x00 }, /* f */
    { 0x00, 0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x11, 0x0E }, /* g */
    { 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00 }, /* h */
    { 0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00 }, /* i */
    { 0x02, 0x00, 0x06, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C }, /* j */
    { 0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12, 0x00, 0x00 }, /* k */
    { 0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E, 0x00, 0x00 }, /* l */
    { 0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11, 0x00, 0x00 }, /* m */
    { 0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11, 0x00, 0x00 }, /* n */
    { 0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E, 0x00, 0x00 }, /* o */
    { 0x00, 0x00, 0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10 }, /* p */
    { 0x00, 0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x01, 0x01 }, /* q */
    { 0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10, 0x00, 0x00 }, /* r */
    { 0x00, 0x00, 0x0F, 0x10, 0x0E, 0x01, 0x1E, 0x00, 0x00 }, /* s */
    { 0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06, 0x00, 0x00 }, /* t */
    { 0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D, 0x00, 0x00 }, /* u */
    { 0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04, 0x00, 0x00 }, /* v */
    { 0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A, 0x00, 0x00 }, /* w */
    { 0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x00, 0x00 }, /* x */
    { 0x00, 0x00, 0x11, 0x11, 0x11, 0x0F, 0x01, 0x11, 0x0E }, /* y */
    { 0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F, 0x00, 0x00 }, /* z */
    { 0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02, 0x00, 0x00 }, /* { */
    { 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x00 }, /* | */
    { 0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08, 0x00, 0x00 }, /* } */
    { 0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00, 0x00, 0x00 }, /* ~ */
};
