/* scanner.h - the scanner module's whole public face.
 *
 * Today it holds the card code format (make, print, read and verify a
 * loyalty card's code); QR rendering and camera / wedge / image reading
 * will join it here.
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
 * All functions are thread-safe and keep no state. */
#ifndef TALLY_SCANNER_H
#define TALLY_SCANNER_H

#include <stddef.h>

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

#endif
