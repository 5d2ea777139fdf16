/* card.c - card codes: make, encode, parse and verify.
 *
 * The layout and the odds are described in scanner.h. Internally a code
 * is an array of 20 symbol values 0..31; text only appears at the edges
 * (symbols_to_text on the way out, read_symbols on the way in).
 *
 * Keyed BLAKE2b (crypto_generichash with a key) rather than crypto_auth
 * (HMAC-SHA-512-256): BLAKE2b with a key is a MAC on its own, with no
 * HMAC double pass, and one primitive serves both the shop tag and the
 * MAC, separated by their labels. We keep only 10 and 45 bits of it:
 * truncating a PRF output costs nothing but the truncated bits. */
#include "scanner.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"

#define TAG_SYMBOLS 2
#define MAC_SYMBOLS 9
#define ID_AT TAG_SYMBOLS
#define MAC_AT (ID_AT + CARD_ID_LEN)
#define DATA_SYMBOLS (MAC_AT + MAC_SYMBOLS) /* everything the check covers */
#define CHECK_AT DATA_SYMBOLS
#define GROUP_LEN 4
#define HUMAN_LEN (CARD_CODE_LEN + CARD_CODE_LEN / GROUP_LEN - 1)
#define PREFIX_LEN (sizeof CARD_QR_PREFIX - 1)

_Static_assert(CHECK_AT + 1 == CARD_CODE_LEN, "layout adds up to the code");
_Static_assert(HUMAN_LEN < CARD_HUMAN_MAX, "human form fits");
_Static_assert(PREFIX_LEN + CARD_CODE_LEN < CARD_QR_MAX, "QR payload fits");

/* Crockford's alphabet: no I, L, O (look like 1 and 0), no U. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Labels keep the two uses of the secret apart, and name the format
 * version so a future layout can never collide with this one. */
static const char tag_label[] = "tally card shop tag v1";
static const char mac_label[] = "tally card mac v1";

/* ---- symbols ----------------------------------------------------------- */

enum { NOT_ALNUM = -1, NOT_CROCKFORD = -2 };

static unsigned char ascii_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

/* Value of one typed character, with Crockford's forgiving aliases.
 * U is a letter but never a symbol: we call it a typo, not junk. */
static int symbol_value(unsigned char c)
{
    c = ascii_upper(c);
    switch (c) {
    case 'O': return 0;
    case 'I': case 'L': return 1;
    case 'U': return NOT_CROCKFORD;
    }
    const char *at = c ? strchr(crockford, c) : NULL;
    return at ? (int)(at - crockford) : NOT_ALNUM;
}

static bool is_separator(unsigned char c)
{
    return c == '-' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Spread the leading count*5 bits of bytes, most significant first, over
 * count symbols. bytes must hold at least (count-1)*5/8 + 2 bytes. */
static void bits_to_symbols(const unsigned char *bytes, unsigned char *sym,
                            size_t count)
{
    for (size_t k = 0; k < count; k++) {
        size_t bit = k * 5;
        unsigned pair = (unsigned)bytes[bit / 8] << 8 | bytes[bit / 8 + 1];
        sym[k] = (unsigned char)(pair >> (11 - bit % 8) & 31);
    }
}

/* ---- check symbol ------------------------------------------------------ */

/* Multiply by x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1). That polynomial
 * is primitive, so x, x^2, ..., x^31 are 31 distinct non-zero weights. */
static unsigned gf32_times_x(unsigned a)
{
    a <<= 1;
    return a & 32 ? a ^ 0x25 : a;
}

/* sum of x^(i+1) * sym[i] over the data symbols, by Horner's rule.
 * A substitution e at i changes it by x^(i+1)*e != 0; swapping a and b at
 * i and j changes it by (x^(i+1) + x^(j+1))*(a + b) != 0. The check symbol
 * itself has weight x^0 = 1, distinct from all of these. */
static unsigned char check_symbol(const unsigned char sym[DATA_SYMBOLS])
{
    unsigned acc = 0;
    for (size_t i = DATA_SYMBOLS; i-- > 0;)
        acc = gf32_times_x(acc ^ sym[i]);
    return (unsigned char)acc;
}

/* ---- keyed parts ------------------------------------------------------- */

static void shop_tag(const unsigned char secret[CARD_SECRET_BYTES],
                     unsigned char tag[TAG_SYMBOLS])
{
    unsigned char hash[crypto_generichash_BYTES_MIN];
    crypto_generichash(hash, sizeof hash, (const unsigned char *)tag_label,
                       sizeof tag_label, secret, CARD_SECRET_BYTES);
    bits_to_symbols(hash, tag, TAG_SYMBOLS);
}

/* MAC over label, tag and id, all fixed length, so the concatenation is
 * unambiguous. sym holds at least the tag and id symbols. */
static void card_mac(const unsigned char secret[CARD_SECRET_BYTES],
                     const unsigned char *sym, unsigned char mac[MAC_SYMBOLS])
{
    unsigned char message[sizeof mac_label + MAC_AT];
    unsigned char hash[crypto_generichash_BYTES_MIN];
    memcpy(message, mac_label, sizeof mac_label);
    memcpy(message + sizeof mac_label, sym, MAC_AT);
    crypto_generichash(hash, sizeof hash, message, sizeof message,
                       secret, CARD_SECRET_BYTES);
    bits_to_symbols(hash, mac, MAC_SYMBOLS);
}

/* ---- text -------------------------------------------------------------- */

/* ASCII only, not strncasecmp: the kiosk runs in the user's locale, and a
 * card code must read the same in every one of them. */
static bool has_prefix(const unsigned char *in, size_t len)
{
    if (len < PREFIX_LEN) return false;
    for (size_t i = 0; i < PREFIX_LEN; i++)
        if (ascii_upper(in[i]) != (unsigned char)CARD_QR_PREFIX[i]) return false;
    return true;
}

/* Every symbol of text that is not a separator, after an optional
 * prefix. CARD_OK when there are exactly CARD_CODE_LEN symbols; CARD_TYPO
 * when one of them is a U; CARD_NOT_TALLY for anything else. Length is
 * the line between junk and a typo: any other 20-letter string reads as
 * a typo (31 times in 32), which is the right advice for a person typing,
 * and harmless for a camera, which only sees our codes with the prefix. */
static enum card_verdict read_symbols(const char *text, size_t len,
                                      unsigned char sym[CARD_CODE_LEN])
{
    const unsigned char *in = (const unsigned char *)text;
    size_t i = 0, count = 0;
    bool has_u = false;

    if (!text) return CARD_NOT_TALLY; /* NULL + 0 is undefined, even empty */
    while (i < len && is_separator(in[i])) i++;
    if (has_prefix(in + i, len - i)) i += PREFIX_LEN;

    for (; i < len; i++) {
        if (is_separator(in[i])) continue;
        int value = symbol_value(in[i]);
        if (value == NOT_ALNUM || count == CARD_CODE_LEN)
            return CARD_NOT_TALLY;
        if (value == NOT_CROCKFORD) {
            has_u = true;
            value = 0;
        }
        sym[count++] = (unsigned char)value;
    }
    if (count != CARD_CODE_LEN) return CARD_NOT_TALLY;
    return has_u ? CARD_TYPO : CARD_OK;
}

/* The CARD_ID_LEN symbols of a NUL-terminated id, leniently read. */
static int read_id(const char *id, unsigned char sym[CARD_ID_LEN])
{
    if (!id || strnlen(id, CARD_ID_LEN + 1) != CARD_ID_LEN) return -1;
    for (size_t i = 0; i < CARD_ID_LEN; i++) {
        int value = symbol_value((unsigned char)id[i]);
        if (value < 0) return -1;
        sym[i] = (unsigned char)value;
    }
    return 0;
}

static void symbols_to_text(const unsigned char *sym, size_t count, char *out)
{
    for (size_t i = 0; i < count; i++) out[i] = crockford[sym[i]];
    out[count] = '\0';
}

static void write_human(const unsigned char sym[CARD_CODE_LEN],
                        char human[CARD_HUMAN_MAX])
{
    size_t o = 0;
    for (size_t i = 0; i < CARD_CODE_LEN; i++) {
        if (i > 0 && i % GROUP_LEN == 0) human[o++] = '-';
        human[o++] = crockford[sym[i]];
    }
    human[o] = '\0';
}

static void write_qr(const unsigned char sym[CARD_CODE_LEN],
                     char qr[CARD_QR_MAX])
{
    memcpy(qr, CARD_QR_PREFIX, PREFIX_LEN);
    symbols_to_text(sym, CARD_CODE_LEN, qr + PREFIX_LEN);
}

/* ---- public ------------------------------------------------------------ */

int card_make(const unsigned char secret[CARD_SECRET_BYTES],
              char id[CARD_ID_LEN + 1])
{
    unsigned char sym[CARD_ID_LEN];
    if (!secret || !id || sodium_init() < 0) return -1;
    randombytes_buf(sym, sizeof sym);
    for (size_t i = 0; i < CARD_ID_LEN; i++)
        sym[i] &= 31; /* 256 is a multiple of 32: still uniform */
    symbols_to_text(sym, CARD_ID_LEN, id);
    return 0;
}

int card_encode(const unsigned char secret[CARD_SECRET_BYTES], const char *id,
                char human[CARD_HUMAN_MAX], char qr[CARD_QR_MAX])
{
    unsigned char sym[CARD_CODE_LEN];
    if (human) human[0] = '\0';
    if (qr) qr[0] = '\0';
    if (!secret || read_id(id, sym + ID_AT) < 0) return -1;

    shop_tag(secret, sym);
    card_mac(secret, sym, sym + MAC_AT);
    sym[CHECK_AT] = check_symbol(sym);

    if (human) write_human(sym, human);
    if (qr) write_qr(sym, qr);
    return 0;
}

/* The checks run cheapest and most forgiving first: a code that fails
 * its check symbol was mistyped, whatever its tag or MAC say. */
enum card_verdict card_parse(const char *text, size_t len,
                             const unsigned char secret[CARD_SECRET_BYTES],
                             char id_out[CARD_ID_LEN + 1])
{
    unsigned char sym[CARD_CODE_LEN], tag[TAG_SYMBOLS], mac[MAC_SYMBOLS];
    if (id_out) id_out[0] = '\0';

    enum card_verdict verdict = read_symbols(text, len, sym);
    if (verdict != CARD_OK) return verdict;
    if (check_symbol(sym) != sym[CHECK_AT]) return CARD_TYPO;

    shop_tag(secret, tag);
    if (memcmp(tag, sym, TAG_SYMBOLS) != 0) return CARD_OTHER_SHOP;

    card_mac(secret, sym, mac);
    if (sodium_memcmp(mac, sym + MAC_AT, MAC_SYMBOLS) != 0)
        return CARD_FORGED; /* constant time: no hints to a guesser */

    if (id_out) symbols_to_text(sym + ID_AT, CARD_ID_LEN, id_out);
    return CARD_OK;
}

const char *card_verdict_message(enum card_verdict verdict)
{
    static const char *const messages[CARD_VERDICT_COUNT] = {
        [CARD_OK] = N_("Card accepted."),
        [CARD_NOT_TALLY] = N_("This is not a loyalty card code. Scan the QR "
                              "code on the customer's card, or type the code "
                              "printed under it."),
        [CARD_TYPO] = N_("The card code has a typing mistake. Check the code "
                         "printed under the QR code and type it again."),
        [CARD_OTHER_SHOP] = N_("This card belongs to another shop. Ask for "
                               "this shop's card, or enrol the customer for "
                               "a new one."),
        [CARD_FORGED] = N_("This card code is not genuine: it is forged or "
                           "damaged. If you typed it, check it once more; "
                           "otherwise do not accept the card."),
    };
    if ((unsigned)verdict >= CARD_VERDICT_COUNT)
        return _("Unknown card check result. Scan the card again.");
    return _(messages[verdict]);
}
