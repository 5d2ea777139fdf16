/* scanner.h - the scanner module's whole public face.
 *
 * It holds the card code format (make, print, read and verify a loyalty
 * card's code), QR symbols and the printed card (terminal, PNG, SVG), the
 * one decode path from camera frames to QR texts, image loaders, and the
 * scanner object that delivers codes to a main loop from image files, a
 * V4L2 camera and a keyboard-wedge scanner (see SCANNER below).
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
 * A card is 85 x 55 mm: a band with the shop's logo and name in its accent
 * colour on top, the QR on the left below it, the holder's name and the
 * human form of the code beside it. Text is set in DejaVu Sans with Pango,
 * letters as written ("Lipą", "Ștefan", "Őrs"); a name too long shrinks,
 * then ends in "…". Every card is verified before it is handed out: the
 * PNG's own pixels, and for SVG and terminal the symbol (qr_encode), must
 * decode back to face->qr. err (may be NULL) gets a translated reason. */

#define CARD_PNG_WIDTH 1004  /* 85 mm at 300 dpi */
#define CARD_PNG_HEIGHT 650  /* 55 mm at 300 dpi */
#define CARD_PNG_DPI 300

struct card_face {
    const char *shop;     /* UTF-8 shop name */
    const char *human;    /* "YGE8-YSD4-HTCY-2JBX-GYBE" */
    const char *qr;       /* "TALLY:YGE8YSD4HTCY2JBXGYBE" */
    const char *holder;   /* the customer's name, or NULL for none */
    const char *accent;   /* the band's colour as the program names it
                           * (shop.accent: green, blue ...); NULL or
                           * "none": a white band */
    const unsigned char *logo_png;  /* the shop's logo as PNG bytes, or NULL */
    size_t logo_len;
};

/* The card as a colour CARD_PNG_WIDTH x CARD_PNG_HEIGHT PNG, 300 dpi, in
 * a malloc'd buffer. Fails with a clear reason if the logo is not a PNG. */
int card_render_png(const struct card_face *face, unsigned char **png,
                    size_t *len, char *err, size_t errsz);

/* The card as an SVG document (85 x 55 mm, rects for modules, <text> for
 * the names and the code, the logo embedded), a malloc'd NUL-terminated
 * string, laid out as the PNG. */
int card_render_svg(const struct card_face *face, char **svg, char *err,
                    size_t errsz);

/* Writes a rendered card to path whole or not at all (a temporary file
 * beside it, then rename), with exactly the permission bits mode (at most
 * 0666, whatever the umask). A card holds a name and a code that works at
 * the counter, so callers pass CARD_FILE_MODE unless a person asked for
 * another. err (may be NULL) gets "cannot write PATH: reason". */
#define CARD_FILE_MODE 0600u
int card_write_file(const char *path, const void *data, size_t len, unsigned mode,
                    char *err, size_t errsz);

/* The card for a terminal: qr_render_term plus the name and the code. */
int card_render_term(const struct card_face *face, bool color, char **text,
                     char *err, size_t errsz);

/* THE DECODE PATH
 *
 * Everything that reads codes from pictures goes through scan_decode():
 * image files (PNG, JPEG and PGM, loaded below) and the camera's frames (the
 * V4L2 thread hands each frame to scanner_frame(), whose decode thread
 * converts it to 8-bit grey with scan_frame_decode() and calls this same
 * function), so tests that replay frames test the path the camera uses.
 * It runs zbar's image scanner on a Y800 (8-bit grey) frame with only QR
 * enabled, then, on a frame zbar reads nothing in, zxing-cpp if the
 * decoder was asked to (scan_decoder_fallback). A decoder is not
 * thread-safe: use one per thread.
 *
 * THE SECOND DECODER. zxing-cpp (Debian 12's libzxing-dev 1.4, behind a
 * C++ shim, scanner/zxing.cpp) reads photos zbar gives up on. On the 400
 * distorted photos of printed cards bench/bench_photos.c makes
 * (tests/card_photos.h), zbar alone read 312 (78.0%), zbar then zxing 332
 * (83.0%): out of focus 36 -> 46 of 50, glare 26 -> 33, steep tilt 45 ->
 * 47. zxing alone read none of 29 low-contrast photos zbar read every one
 * of, so it comes second, never instead. On a frame with no code, where a
 * camera spends its day, zxing costs about a tenth of zbar: run on every
 * zbar miss, 1.08-1.10 times zbar alone (three runs). A pre-check for QR
 * finder patterns (1:1:3:1:1 runs on every other row) cost half of zxing,
 * and a card's printed text gave it as many hits (39-81 a frame) as the
 * codes zbar missed (40-134), so it saved nothing. The camera instead runs
 * zxing on one in SCAN_FALLBACK_CAMERA frames that zbar reads nothing in:
 * a card held up is seen in dozens of frames, and the cost on frames with
 * no code is within the noise (ratio 0.99-1.02, same runs). Image files,
 * one photo each, get it on every frame. The read-back of printed cards
 * stays zbar's alone, so every card handed out reads by zbar at the
 * counter. A text zxing reads goes to the same callback as zbar's, so to
 * the same card_parse() and MAC check. */

typedef struct scan_decoder scan_decoder;

/* NULL if out of memory. */
scan_decoder *scan_decoder_new(void);
void scan_decoder_free(scan_decoder *d);

/* Runs zxing-cpp on one in every `every` frames that zbar reads nothing
 * in (1: on each of them; 0: never, the default). */
#define SCAN_FALLBACK_CAMERA 8
void scan_decoder_fallback(scan_decoder *d, int every);

/* Called once per symbol found; text has len bytes (it may hold any
 * bytes) and is also NUL-terminated. */
typedef void scan_found_fn(const char *text, size_t len, void *arg);

/* Decodes one frame: width * height bytes, row-major, no padding.
 * Returns the number of symbols found (fn called that many times), or -1
 * if the frame is empty or too big, or zbar fails (zxing failing on a
 * frame is that frame read nothing in). */
int scan_decode(scan_decoder *d, const unsigned char *grey, int width,
                int height, scan_found_fn *fn, void *arg);

/* CAMERA FRAMES
 *
 * What a camera delivers, before it is grey. zbar scans only the
 * brightness, so the raw formats give it their luma (Y) samples as they
 * are: no colour maths. MJPEG is decompressed by zbar's own JPEG reader
 * (libjpeg, which zbar already links), only for frames that are decoded;
 * a frame that does not start with SOI and end with EOI (cut short on the
 * USB bus), or whose frame header gives another size than the camera's,
 * is refused before libjpeg sees it (zbar trusts the size it is told).
 * libjpeg may still print a warning on stderr for a frame damaged inside,
 * which is why a camera that offers any raw format is read in that
 * format. */

enum scan_pixfmt {
    SCAN_PIX_GREY,    /* V4L2 GREY: 8-bit luma */
    SCAN_PIX_YUYV,    /* V4L2 YUYV: Y0 U Y1 V, 2 bytes a pixel */
    SCAN_PIX_UYVY,    /* V4L2 UYVY: U Y0 V Y1 */
    SCAN_PIX_NV12,    /* V4L2 NV12: Y plane, then interleaved CbCr at half size */
    SCAN_PIX_YU12,    /* V4L2 YU12 (I420): Y plane, then Cb and Cr planes */
    SCAN_PIX_MJPEG,   /* V4L2 MJPG: one JPEG a frame */
    SCAN_PIX_COUNT
};

struct scan_frame {
    enum scan_pixfmt format;
    int width, height;             /* pixels */
    size_t stride;                 /* bytes from a row to the next (of the
                                      Y plane); 0: rows are packed */
    const unsigned char *data;
    size_t len;                    /* bytes in data */
};

/* The format's V4L2 name, "YUYV"; "?" if out of range. */
const char *scan_pixfmt_name(enum scan_pixfmt format);

/* The luma of a raw frame (every format but MJPEG) into grey, width *
 * height bytes. Returns 0, or -1 if the size is out of range, the stride
 * too small, the frame shorter than its format needs, or it is MJPEG. */
int scan_frame_grey(const struct scan_frame *f, unsigned char *grey);

/* Whether f can be a whole frame: size in range, len enough for a raw
 * format; for MJPEG, SOI ... EOI and a frame header of f's size. */
bool scan_frame_valid(const struct scan_frame *f);

/* The camera's per-frame decode: converts f to grey (a GREY frame without
 * padding is scanned in place) and runs scan_decode() on it. Returns what
 * scan_decode returns, or -1 if the frame is not valid. */
int scan_frame_decode(scan_decoder *d, const struct scan_frame *f,
                      scan_found_fn *fn, void *arg);

/* WEDGE SCANNERS
 *
 * A USB wedge scanner is a keyboard that types what it reads and presses
 * Enter. Read as a dedicated input device (Linux evdev), it delivers
 * struct input_event records; scan_keys turns them into lines of text
 * with the US layout, which is what such scanners type by default:
 * letters and digits, the punctuation of the main block and the keypad,
 * with Shift (either) and Caps Lock. Enter (or keypad Enter) ends a line;
 * an empty line is no line. Key codes without a character (F-keys,
 * arrows, Meta, unknown codes), releases, repeats, other event types and
 * keys pressed with Ctrl or Alt held add nothing. A pause of more than
 * SCAN_KEYS_GAP_MS between two keys of a line throws away what came
 * before it, so a read cut short never prefixes the next code. Times are
 * the events' own (struct input_event's time), in ms.
 *
 * A scanner set to a German (QWERTZ) or French (AZERTY) keyboard presses
 * other keys for the same text ("TALLY:" comes out "TALLZ>" read as US):
 * a line that does not start with the card prefix under US but does under
 * one of those layouts is read in that layout (layout says which). */

#define SCAN_TEXT_MAX 1024
#define SCAN_KEYS_GAP_MS 1000

struct scan_keys {
    bool shift_l, shift_r, caps, ctrl, alt, done;
    int64_t last_ms;               /* time of the line's last key */
    size_t len;                    /* bytes in line, NUL excluded */
    bool truncated;                /* the line was longer than line */
    char line[SCAN_TEXT_MAX];
    const char *layout;            /* "us", "de" or "fr": how line was read */
    uint16_t keys[SCAN_TEXT_MAX];  /* each character's key, SCAN_KEY_* flags */
};
#define SCAN_KEY_CODE 0x3FFF
#define SCAN_KEY_SHIFT 0x4000
#define SCAN_KEY_CAPS 0x8000

void scan_keys_init(struct scan_keys *k);

/* Feeds one event (type EV_KEY = 1, code KEY_*, value 1 press, 0 release,
 * 2 repeat). Returns 1 when it ended a line, which k->line then holds
 * (NUL-terminated) until the next call; else 0. */
int scan_keys_feed(struct scan_keys *k, unsigned type, unsigned code,
                   int value, int64_t ms);

/* IMAGES */

#define SCAN_IMAGE_MAX_PIXELS (64L * 1024 * 1024) /* larger is refused */

struct scan_image {
    int width, height;
    unsigned char *grey;  /* width * height, 0 black, 255 white */
};

/* A PNG (any colour type and bit depth, transparency composed on white),
 * a JPEG (baseline or progressive, grey or colour) or a PGM (P5 8- or
 * 16-bit, or P2) in memory, as 8-bit grey. */
int scan_image_read(const unsigned char *data, size_t len,
                    struct scan_image *out, char *err, size_t errsz);
/* The same from a file. */
int scan_image_load(const char *path, struct scan_image *out, char *err,
                    size_t errsz);
/* A whole file (an image, a logo) in a malloc'd buffer; NULL with a
 * translated reason in why. */
unsigned char *scan_file_read(const char *path, size_t *len, char *why, size_t whysz);
void scan_image_free(struct scan_image *img);

/* A grey frame as an 8-bit grey PNG in a malloc'd buffer; dpi 0 leaves
 * the resolution out. */
int scan_png_write(const unsigned char *grey, int width, int height, int dpi,
                   unsigned char **png, size_t *len);
/* The same for a colour image of 32-bit native-endian 0xXXRRGGBB pixels
 * (cairo's RGB24), rows stride bytes apart, as an 8-bit RGB PNG. */
int scan_png_write_xrgb(const unsigned char *xrgb, int stride, int width, int height, int dpi,
                        unsigned char **png, size_t *len);

/* SCANNER
 *
 * A scanner reads codes in its own threads and delivers them to the
 * consumer's main loop: poll scanner_fd() for reading, then call
 * scanner_next() until it returns 0. The descriptor is readable exactly
 * while events are waiting, so the loop never busy-waits or blocks.
 * Events carry raw texts: the consumer checks them with card_parse().
 *
 * The same text seen again within window_ms of its last sighting is
 * delivered once, whichever source saw it: a card held up (or lying)
 * under the camera counts once, and counts again only after it has been
 * out of sight for the window.
 *
 * Sources, any together (scanner_open):
 *  - image files, read in order in a thread; a file that cannot be read
 *    is a SCAN_ERROR event and the rest go on;
 *  - a V4L2 camera: a capture thread takes frames from the driver (mmap
 *    streaming; GREY, YUYV, UYVY, NV12, YU12 preferred in that order,
 *    MJPEG last), always the newest, and hands each to scanner_frame();
 *    a decode thread scans the newest frame handed in, so a slow decode
 *    drops frames rather than falls behind;
 *  - a wedge scanner on its own input device (evdev), grabbed exclusively
 *    (EVIOCGRAB) so what it types never reaches the terminal or a form
 *    field; each line (scan_keys) is one event. Anything else that
 *    delivers struct input_event records - a FIFO, a pipe as /dev/fd/N, a
 *    file of recorded events - is read the same way but not grabbed: only
 *    character devices are, and one that is not an input device is
 *    refused. It ends at end of file, which a real device never reaches.
 *
 * A camera or wedge that is missing, busy (another program has it),
 * unplugged mid-run, or unusable (not a camera, no format we read, no
 * permission) gives one SCAN_ERROR event that says what happened and
 * what to do, then is tried again every retry_ms in the background; when
 * it comes (back) on, a SCAN_STATUS event says so. The same failure again
 * on the next tries is not repeated. scanner_state() and scanner_status()
 * tell the consumer where each source stands, for a status line.
 *
 * The threads block the signals that come from outside (SIGINT, SIGTERM,
 * SIGCHLD, ...), so those reach the consumer's thread. */

#define SCAN_SOURCE_MAX 1024
#define SCAN_WINDOW_MS 2000
#define SCAN_RETRY_MS 3000

enum scan_kind {
    SCAN_CODE,      /* text holds a decoded QR text or a wedge line (len bytes) */
    SCAN_NOTHING,   /* an image was read and held no QR code */
    SCAN_ERROR,     /* text holds a translated reason (source unreadable) */
    SCAN_END,       /* every source is exhausted (a camera never is); nothing follows */
    SCAN_STATUS     /* text holds a translated note: a camera or wedge is on */
};

struct scan_event {
    enum scan_kind kind;
    int64_t when;                  /* unix ms the frame was decoded */
    char source[SCAN_SOURCE_MAX];  /* the image file or device */
    size_t len;                    /* bytes of text, NUL excluded */
    bool truncated;                /* the QR text was longer than text */
    char text[SCAN_TEXT_MAX];
};

struct scanner_opts {
    int window_ms;      /* dedupe window; 0 delivers every sighting */
    int interval_ms;    /* pause between images, to replay at camera pace */
    int retry_ms;       /* pause before a failed camera or wedge is tried
                           again; 0: SCAN_RETRY_MS */
};

struct scanner_sources {
    const char *const *images;  /* files or directories, or NULL */
    size_t nimages;
    const char *camera;         /* V4L2 device ("/dev/video0"), or NULL */
    const char *wedge;          /* input device, or NULL */
    bool frames;                /* a camera pipeline without a device:
                                   frames come only from scanner_frame()
                                   (tests, benchmarks); implied by camera */
};

typedef struct scanner scanner;

/* Starts the sources' threads. opts NULL: SCAN_WINDOW_MS, no pause,
 * SCAN_RETRY_MS. With no source at all, SCAN_END is the only event.
 * Returns NULL (reason in err) if out of memory or a thread cannot
 * start; a camera or wedge that cannot be opened is not a reason (it is
 * retried). */
scanner *scanner_open(const struct scanner_sources *src,
                      const struct scanner_opts *opts, char *err,
                      size_t errsz);

/* scanner_open() with image files only: each path in order, a PNG, JPEG
 * or PGM file or every *.png, *.jpg, *.jpeg and *.pgm in a directory (not
 * recursive, sorted by name). */
scanner *scanner_open_images(const char *const *paths, size_t n,
                             const struct scanner_opts *opts, char *err,
                             size_t errsz);

/* The descriptor to poll for reading. */
int scanner_fd(const scanner *sc);

/* Non-blocking: 1 with the next event in *ev, 0 if none is waiting. */
int scanner_next(scanner *sc, struct scan_event *ev);

/* Hands one frame to sc's camera pipeline: the entry point the V4L2
 * thread calls for each frame it takes from the driver, and the one
 * tests and benchmarks call with made-up frames. The frame is copied
 * into the pipeline's one slot, replacing a frame still waiting there
 * (newest wins), and the decode thread scans it (scan_frame_decode) and
 * delivers its codes under the source name of the camera (or "frames").
 * Returns 1 if a frame not yet decoded was dropped for this one, 0 if
 * not, -1 if sc has no camera pipeline, f is not valid
 * (scan_frame_valid), or out of memory. Thread-safe. */
int scanner_frame(scanner *sc, const struct scan_frame *f);

enum scan_source { SCAN_SRC_IMAGES, SCAN_SRC_CAMERA, SCAN_SRC_WEDGE, SCAN_SRC_COUNT };

enum scan_state {
    SCAN_STATE_OFF,       /* no such source in this scanner */
    SCAN_STATE_STARTING,  /* being opened for the first time */
    SCAN_STATE_ON,        /* reading */
    SCAN_STATE_MISSING,   /* not there, or unplugged: retrying */
    SCAN_STATE_BUSY,      /* another program has it: retrying */
    SCAN_STATE_FAILED,    /* there but unusable: retrying */
    SCAN_STATE_DONE       /* images all read, or the wedge's input ended */
};

/* Where a source stands now. Thread-safe. */
enum scan_state scanner_state(scanner *sc, enum scan_source src);

/* The state of every source of sc for a status line, short, translated
 * and joined by ", ", with "; retrying" after when one is being retried:
 * "camera on", "camera missing, wedge on; retrying". "" with no source.
 * Returns buf. */
const char *scanner_status(scanner *sc, char *buf, size_t n);

/* Counters, for tests, benchmarks and a curious installer. */
struct scanner_stats {
    uint64_t frames;        /* handed to scanner_frame() and taken */
    uint64_t decoded;       /* of those, scanned */
    uint64_t dropped;       /* replaced by a newer frame before a scan */
    uint64_t bad;           /* refused by scanner_frame(), or damaged */
    uint64_t camera_tries;  /* times the camera was opened or tried */
    uint64_t wedge_tries;   /* times the wedge was opened or tried */
};

void scanner_stats(scanner *sc, struct scanner_stats *out);

/* Stops and joins every thread, closes every device, frees everything.
 * NULL is a no-op. */
void scanner_close(scanner *sc);

#endif
