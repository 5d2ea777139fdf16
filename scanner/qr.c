/* qr.c - QR symbols from libqrencode, their variants, and read-back.
 *
 * libqrencode picks the mask itself and has no public call to ask for
 * another, so other masks are made here: a module that holds data or
 * error correction is flipped by the old mask's pattern and the new one's,
 * and the format information (level and mask, BCH-protected) is rewritten.
 * The two read-back loops (here and in render.c) are what catch a symbol
 * zbar cannot read. */
#include "scanner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#define VERIFY_PX 4 /* pixels a module when reading a symbol back */

static const QRecLevel LEVELS[] = { QR_ECLEVEL_Q, QR_ECLEVEL_M, QR_ECLEVEL_H };
static const char LEVEL_NAMES[] = "LMQH"; /* by QRecLevel */
#define NLEVELS (int)(sizeof LEVELS / sizeof LEVELS[0])
#define NVERSIONS 2
#define NMASKS 8

_Static_assert(NLEVELS * NVERSIONS * NMASKS == QR_VARIANTS, "variants add up");

/* ISO 18004 mask patterns: the module at row y, column x is flipped
 * when the pattern holds. */
static bool mask_flips(int mask, int x, int y)
{
    switch (mask) {
    case 0: return (x + y) % 2 == 0;
    case 1: return y % 2 == 0;
    case 2: return x % 3 == 0;
    case 3: return (x + y) % 3 == 0;
    case 4: return (y / 2 + x / 3) % 2 == 0;
    case 5: return (x * y) % 2 + (x * y) % 3 == 0;
    case 6: return ((x * y) % 2 + (x * y) % 3) % 2 == 0;
    default: return ((x + y) % 2 + (x * y) % 3) % 2 == 0;
    }
}

/* The 15 format bits: level and mask, BCH(15,5) with generator 0x537,
 * XORed with 0x5412 so they are never all light. */
static unsigned format_bits(QRecLevel level, int mask)
{
    static const unsigned level_code[] = { 1, 0, 3, 2 }; /* L M Q H */
    unsigned data = level_code[level] << 3 | (unsigned)mask;
    unsigned rem = data << 10;
    for (int bit = 14; bit >= 10; bit--)
        if (rem & (1u << bit))
            rem ^= 0x537u << (bit - 10);
    return ((data << 10) | rem) ^ 0x5412u;
}

/* Where format bit i (0 = least significant) sits, in both copies; the
 * same layout libqrencode writes (and ISO 18004 figure 25). */
static void format_positions(int w, int i, int pos[2])
{
    if (i < 8) {
        pos[0] = w * 8 + (w - 1 - i);
        pos[1] = i < 6 ? w * i + 8 : w * (i + 1) + 8;
    } else {
        int k = i - 8;
        pos[0] = w * (w - 7 + k) + 8;
        pos[1] = k == 0 ? w * 8 + 7 : w * 8 + 6 - k;
    }
}

static void write_format(QRcode *c, QRecLevel level, int mask)
{
    unsigned f = format_bits(level, mask);
    for (int i = 0; i < 15; i++) {
        int pos[2];
        format_positions(c->width, i, pos);
        for (int k = 0; k < 2; k++)
            c->data[pos[k]] = (unsigned char)((c->data[pos[k]] & ~1u) | ((f >> i) & 1u));
    }
}

/* The mask the encoder chose, read back from the format bits. */
static int read_mask(const QRcode *c, QRecLevel level)
{
    unsigned f = 0;
    for (int i = 0; i < 15; i++) {
        int pos[2];
        format_positions(c->width, i, pos);
        f |= (unsigned)(c->data[pos[0]] & 1u) << i;
    }
    for (int m = 0; m < NMASKS; m++)
        if (format_bits(level, m) == f)
            return m;
    return -1;
}

/* Bit 7 of a libqrencode module marks function patterns and format and
 * version information; every other module is data or error correction,
 * which is what a mask covers. */
static void remask(QRcode *c, QRecLevel level, int from, int to)
{
    for (int y = 0; y < c->width; y++)
        for (int x = 0; x < c->width; x++) {
            unsigned char *m = &c->data[y * c->width + x];
            if (!(*m & 0x80) && mask_flips(from, x, y) != mask_flips(to, x, y))
                *m ^= 1u;
        }
    write_format(c, level, to);
}

static QRcode *qrcode_encode(const char *text, int version, QRecLevel level)
{
    QRinput *in = QRinput_new2(version, level);
    if (!in)
        return NULL;
    size_t len = strlen(text);
    const unsigned char *data = (const unsigned char *)text;
    /* Alphanumeric mode when every character allows it (card payloads
     * always do): it is what keeps a card at version 2. */
    if (len == 0 || len > 7000 ||
        (QRinput_append(in, QR_MODE_AN, (int)len, data) != 0 &&
         QRinput_append(in, QR_MODE_8, (int)len, data) != 0)) {
        QRinput_free(in);
        return NULL;
    }
    QRcode *c = QRcode_encodeInput(in);
    QRinput_free(in);
    return c;
}

int qr_variant(const char *text, int n, struct qr_symbol *out)
{
    memset(out, 0, sizeof *out);
    if (!text || n < 0 || n >= QR_VARIANTS)
        return -1;
    QRecLevel level = LEVELS[n / (NVERSIONS * NMASKS)];
    int bigger = n / NMASKS % NVERSIONS, slot = n % NMASKS;

    QRcode *c = qrcode_encode(text, 0, level);
    if (c && bigger) {
        int v = c->version + 1;
        QRcode_free(c);
        c = v <= QRSPEC_VERSION_MAX ? qrcode_encode(text, v, level) : NULL;
    }
    if (!c)
        return -1;
    int mask = read_mask(c, level);
    if (mask < 0) {
        QRcode_free(c);
        return -1;
    }
    /* Slot 0 is the encoder's own choice, slots 1-7 the other masks. */
    if (slot > 0) {
        int to = slot <= mask ? slot - 1 : slot;
        remask(c, level, mask, to);
        mask = to;
    }
    out->dark = malloc((size_t)c->width * (size_t)c->width);
    if (!out->dark) {
        QRcode_free(c);
        return -1;
    }
    for (int i = 0; i < c->width * c->width; i++)
        out->dark[i] = c->data[i] & 1u;
    out->version = c->version;
    out->level = LEVEL_NAMES[level];
    out->mask = mask;
    out->width = c->width;
    QRcode_free(c);
    return 0;
}

void qr_free(struct qr_symbol *q)
{
    if (!q)
        return;
    free(q->dark);
    q->dark = NULL;
}

int qr_full_width(const struct qr_symbol *q)
{
    return q->width + 2 * QR_QUIET_ZONE;
}

void qr_draw(const struct qr_symbol *q, unsigned char *grey, int frame_w,
             int frame_h, int x, int y, int module_px)
{
    int full = qr_full_width(q) * module_px;
    for (int py = y < 0 ? 0 : y; py < y + full && py < frame_h; py++)
        for (int px = x < 0 ? 0 : x; px < x + full && px < frame_w; px++) {
            int mx = (px - x) / module_px - QR_QUIET_ZONE;
            int my = (py - y) / module_px - QR_QUIET_ZONE;
            bool dark = mx >= 0 && my >= 0 && mx < q->width && my < q->width &&
                        q->dark[my * q->width + mx];
            grey[(size_t)py * (size_t)frame_w + (size_t)px] = dark ? 0 : 255;
        }
}

struct expect { const char *text; bool found; };

static void match(const char *text, size_t len, void *arg)
{
    struct expect *e = arg;
    if (len == strlen(e->text) && memcmp(text, e->text, len) == 0)
        e->found = true;
}

/* Does the symbol, drawn plainly, read back as text? */
static bool reads_back(scan_decoder *d, const struct qr_symbol *q, const char *text)
{
    int side = qr_full_width(q) * VERIFY_PX;
    unsigned char *frame = malloc((size_t)side * (size_t)side);
    if (!frame)
        return false;
    qr_draw(q, frame, side, side, 0, 0, VERIFY_PX);
    struct expect e = { text, false };
    scan_decode(d, frame, side, side, match, &e);
    free(frame);
    return e.found;
}

int qr_encode(const char *text, struct qr_symbol *out)
{
    memset(out, 0, sizeof *out);
    scan_decoder *d = scan_decoder_new();
    if (!d)
        return -1;
    for (int n = 0; n < QR_VARIANTS; n++) {
        if (qr_variant(text, n, out) != 0)
            continue;
        if (reads_back(d, out, text)) {
            scan_decoder_free(d);
            return 0;
        }
        qr_free(out);
    }
    scan_decoder_free(d);
    errno = EILSEQ;
    return -1;
}
