/* scanner.h - the scanner module's whole public face.
 *
 * It holds the card code format (make, print, read and verify a loyalty
 * card's code), QR symbols and the printed card (terminal, PNG, SVG), the
 * one decode path from grey frames to QR texts, image loaders, and the
 * scanner object that delivers codes to a main loop. Camera and wedge
 * sources will join the scanner object (see SCANNER below).
 *
 * CARD CODES
 *
 * A card code is 20 Crockford base32 symbols (5 bits each):
 *
 *     T T  I I I I I I I I  M M M M M M M M M  C
 *
 *   T  shop tag, 10 bits: keyed BLAKE2b of a fixed label under the shop
 *      secret. Lets a till tell another shop's card from a forgery.
 *   I  card id, 40 random bits. These 8 symbols, verbatim, are the
 *      canonical card id the store keys the customer by.
 *   M  MAC, 45 bits: keyed BLAKE2b over a label, the tag and the id.
 *   C  check symbol: a weighted sum over GF(32) of the 19 symbols before
 *      it. It catches every single-symbol substitution and every adjacent
 *      (and one-apart) transposition, so typing mistakes are reported as
 *      typos, never as forgeries.
 *
 * Two printed forms decode to the same card:
 *
 *   human  "YGE8-YSD4-HTCY-2JBX-GYBE"    groups of 4, 24 chars
 *   QR     "TALLY:YGE8YSD4HTCY2JBXGYBE"  26 chars, all in the QR
 *          alphanumeric set: fits a version 2 QR at level Q (29 max).
 *
 * (card id E8YSD4HT; every card of that shop starts with its tag "YG".)
 *
 * Input is lenient: any case, O read as 0, I and L read as 1, dashes and
 * white space anywhere, "TALLY:" prefix (any case) present or absent.
 *
 * Odds, for the store and the manager's docs:
 *   - another shop's card is CARD_OTHER_SHOP unless the two tags collide
 *     (1 in 1024); then it is CARD_FORGED.
 *   - a guessed code passes the MAC with probability 2^-45 per try.
 *   - two random ids collide with probability 2^-40; for n cards in a
 *     shop the chance of any collision is about n^2 / 2^41 (0.5% at
 *     100 000 cards), so enrolment must check the id is unused and call
 *     card_make() again if not.
 *
 * The card code functions are thread-safe and keep no state. */
#ifndef TALLY_SCANNER_H
#define TALLY_SCANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CARD_SECRET_BYTES 32 /* the shop's secret key */
#define CARD_ID_LEN 8        /* canonical card id symbols */
#define CARD_CODE_LEN 20     /* symbols in a code, without separators */
#define CARD_HUMAN_MAX 32    /* grouped human form, with NUL (24 used) */
#define CARD_QR_MAX 40       /* QR payload, with NUL (26 used) */
#define CARD_QR_PREFIX "TALLY:"

/* What a code says about itself. The store's view of the id (card
 * replaced, customer forgotten, unknown card) is the store's own verdict,
 * looked up after CARD_OK; it is not added here, since scanner/ and store/
 * do not depend on each other. */
enum card_verdict {
    CARD_OK = 0,         /* genuine card of this shop: id_out is set */
    CARD_NOT_TALLY,      /* not a card code at all (URL, EAN, junk, ...) */
    CARD_TYPO,           /* 20 symbols, but check symbol wrong or a U */
    CARD_OTHER_SHOP,     /* a well-formed code from another shop */
    CARD_FORGED,         /* our shop tag but the MAC is wrong */
    CARD_VERDICT_COUNT
};

/* Draw a new random card id into id (8 canonical symbols + NUL).
 * The secret is not used by today's format (ids are plain random); it is
 * taken so the call reads "a card of this shop" and so a future format
 * may derive ids per shop without changing callers. Returns 0, or -1 if
 * an argument is NULL or libsodium cannot be initialised. */
int card_make(const unsigned char secret[CARD_SECRET_BYTES],
              char id[CARD_ID_LEN + 1]);

/* Write the human and QR forms of card id under secret. id is a NUL-
 * terminated 8-symbol id (canonical or leniently typed). Either output
 * may be NULL when not wanted. Returns 0, or -1 if id is not a valid id
 * or secret is NULL (outputs are then empty strings). */
int card_encode(const unsigned char secret[CARD_SECRET_BYTES], const char *id,
                char human[CARD_HUMAN_MAX], char qr[CARD_QR_MAX]);

/* The one decode path for every input: camera, wedge, typed, image file.
 * Reads exactly len bytes of text, which may hold any bytes and needs no
 * NUL (text may be NULL when len is 0). On CARD_OK writes the canonical
 * id to id_out; on any other verdict id_out is set to "". id_out may be
 * NULL. secret must not be NULL. */
enum card_verdict card_parse(const char *text, size_t len,
                             const unsigned char secret[CARD_SECRET_BYTES],
                             char id_out[CARD_ID_LEN + 1]);

/* What the verdict means and what to do, already translated (gettext)
 * into the user's language. Never NULL, never empty. */
const char *card_verdict_message(enum card_verdict verdict);

/* QR SYMBOLS
 *
 * A card's QR payload (card_encode's qr form) is encoded in alphanumeric
 * mode (any other text falls back to 8-bit mode). Rendering and decoding
 * are done by different libraries (libqrencode, zbar), and zbar misses a
 * small share of machine-made symbols, so a symbol is only used once our
 * own decode path has read it back: qr_variant() enumerates alternatives
 * (level Q, M, then H; the smallest version and the next; the encoder's
 * mask first, then the seven others), and the first that reads back wins.
 * Functions returning int give 0 on success and -1 on failure. */

#define QR_QUIET_ZONE 4 /* light modules on every side, as ISO 18004 asks */
#define QR_VARIANTS 48  /* 3 levels x 2 versions x 8 masks */

struct qr_symbol {
    int version;          /* 1-40 */
    char level;           /* 'L', 'M', 'Q' or 'H' */
    int mask;             /* 0-7 */
    int width;            /* modules per side, quiet zone excluded */
    unsigned char *dark;  /* width * width, row-major, 1 = dark module */
};

/* Variant n (0 .. QR_VARIANTS-1, preferred first) of text as a symbol.
 * -1 if n is out of range, text does not fit, or out of memory. */
int qr_variant(const char *text, int n, struct qr_symbol *out);

/* The first variant that scan_decode() reads back as exactly text, drawn
 * plainly at 4 pixels a module. -1 if none does. */
int qr_encode(const char *text, struct qr_symbol *out);

void qr_free(struct qr_symbol *q);

/* Modules per side with the quiet zone. */
int qr_full_width(const struct qr_symbol *q);

/* Draws q with its quiet zone into a grey frame (0 dark, 255 light) with
 * its top-left corner at (x, y), module_px pixels a module; what falls
 * outside the frame is clipped. */
void qr_draw(const struct qr_symbol *q, unsigned char *grey, int frame_w,
             int frame_h, int x, int y, int module_px);

/* The symbol for a terminal, with its quiet zone: UTF-8 half blocks, two
 * module rows per line, each line ending in '\n'; a block is a dark
 * module. With color, every line is wrapped in ANSI black-on-white so the
 * code is dark on light whatever the terminal's own colours (phones read
 * it off the screen). Returns a malloc'd string, or NULL. */
char *qr_render_term(const struct qr_symbol *q, bool color);

/* PRINTED CARDS
 *
 * A card is 85 x 55 mm: the shop's name on top, the QR in the middle and
 * the human form of the code under it. Every card is verified before it
 * is handed out: the PNG's own pixels, and for SVG and terminal the symbol
 * (qr_encode), must decode back to face->qr. Non-ASCII letters in the
 * PNG's built-in bitmap font are shown by their unaccented form ("Lipą"
 * as "Lipa"); the SVG keeps the name as written. err (may be NULL) gets a
 * translated reason. */

#define CARD_PNG_WIDTH 1004  /* 85 mm at 300 dpi */
#define CARD_PNG_HEIGHT 650  /* 55 mm at 300 dpi */
#define CARD_PNG_DPI 300

struct card_face {
    const char *shop;     /* UTF-8 shop name */
    const char *human;    /* "YGE8-YSD4-HTCY-2JBX-GYBE" */
    const char *qr;       /* "TALLY:YGE8YSD4HTCY2JBXGYBE" */
};

/* The card as a grey CARD_PNG_WIDTH x CARD_PNG_HEIGHT PNG, 300 dpi, in a
 * malloc'd buffer. */
int card_render_png(const struct card_face *face, unsigned char **png,
                    size_t *len, char *err, size_t errsz);

/* The card as an SVG document (85 x 55 mm, rects for modules, <text> for
 * the name and the code), a malloc'd NUL-terminated string. */
int card_render_svg(const struct card_face *face, char **svg, char *err,
                    size_t errsz);

/* The card for a terminal: qr_render_term plus the name and the code. */
int card_render_term(const struct card_face *face, bool color, char **text,
                     char *err, size_t errsz);

/* THE DECODE PATH
 *
 * Everything that reads codes from pictures goes through scan_decode():
 * image files today (PNG and PGM, loaded below), the camera's frames in
 * the next step (the V4L2 thread converts each frame to 8-bit grey and
 * calls this same function), so tests that replay frames test the path
 * the camera uses. It runs zbar's image scanner on a Y800 (8-bit grey)
 * frame with only QR enabled. A decoder is not thread-safe: use one per
 * thread. */

typedef struct scan_decoder scan_decoder;

/* NULL if out of memory. */
scan_decoder *scan_decoder_new(void);
void scan_decoder_free(scan_decoder *d);

/* Called once per symbol found; text has len bytes (it may hold any
 * bytes) and is also NUL-terminated. */
typedef void scan_found_fn(const char *text, size_t len, void *arg);

/* Decodes one frame: width * height bytes, row-major, no padding.
 * Returns the number of symbols found (fn called that many times), or -1
 * if the frame is empty or too big, or zbar fails. */
int scan_decode(scan_decoder *d, const unsigned char *grey, int width,
                int height, scan_found_fn *fn, void *arg);

/* IMAGES */

#define SCAN_IMAGE_MAX_PIXELS (64L * 1024 * 1024) /* larger is refused */

struct scan_image {
    int width, height;
    unsigned char *grey;  /* width * height, 0 black, 255 white */
};

/* A PNG (any colour type and bit depth, transparency composed on white)
 * or a PGM (P5 8- or 16-bit, or P2) in memory, as 8-bit grey. */
int scan_image_read(const unsigned char *data, size_t len,
                    struct scan_image *out, char *err, size_t errsz);
/* The same from a file. */
int scan_image_load(const char *path, struct scan_image *out, char *err,
                    size_t errsz);
void scan_image_free(struct scan_image *img);

/* A grey frame as an 8-bit grey PNG in a malloc'd buffer; dpi 0 leaves
 * the resolution out. */
int scan_png_write(const unsigned char *grey, int width, int height, int dpi,
                   unsigned char **png, size_t *len);

/* SCANNER
 *
 * A scanner reads codes in its own thread and delivers them to the
 * consumer's main loop: poll scanner_fd() for reading, then call
 * scanner_next() until it returns 0. The descriptor is readable exactly
 * while events are waiting, so the loop never busy-waits or blocks.
 * Events carry raw texts: the consumer checks them with card_parse().
 *
 * The same text seen again within window_ms of its last sighting is
 * delivered once: a card held up (or lying) under the camera counts once,
 * and counts again only after it has been out of sight for the window.
 *
 * Sources: image files (scanner_open_images); the V4L2 camera and the
 * wedge scanner come next and will deliver the same events. */

#define SCAN_TEXT_MAX 1024
#define SCAN_SOURCE_MAX 1024
#define SCAN_WINDOW_MS 2000

enum scan_kind {
    SCAN_CODE,      /* text holds a decoded QR text (len bytes) */
    SCAN_NOTHING,   /* an image was read and held no QR code */
    SCAN_ERROR,     /* text holds a translated reason (source unreadable) */
    SCAN_END        /* the source is exhausted; nothing follows */
};

struct scan_event {
    enum scan_kind kind;
    int64_t when;                  /* unix ms the frame was decoded */
    char source[SCAN_SOURCE_MAX];  /* the image file (or device) */
    size_t len;                    /* bytes of text, NUL excluded */
    bool truncated;                /* the QR text was longer than text */
    char text[SCAN_TEXT_MAX];
};

struct scanner_opts {
    int window_ms;      /* dedupe window; 0 delivers every sighting */
    int interval_ms;    /* pause between images, to replay at camera pace */
};

typedef struct scanner scanner;

/* Reads each path in order in a new thread: a PNG or PGM file, or every
 * *.png / *.pgm in a directory (not recursive, sorted by name). A file
 * that cannot be read becomes a SCAN_ERROR event and the rest go on.
 * opts NULL: SCAN_WINDOW_MS and no pause. Returns NULL (reason in err)
 * if the thread cannot start. */
scanner *scanner_open_images(const char *const *paths, size_t n,
                             const struct scanner_opts *opts, char *err,
                             size_t errsz);

/* The descriptor to poll for reading. */
int scanner_fd(const scanner *sc);

/* Non-blocking: 1 with the next event in *ev, 0 if none is waiting. */
int scanner_next(scanner *sc, struct scan_event *ev);

/* Stops and joins the thread, frees everything. NULL is a no-op. */
void scanner_close(scanner *sc);

#endif
