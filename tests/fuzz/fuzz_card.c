/* fuzz_card.c - card_parse on arbitrary bytes.
 *
 * Random bytes almost never make a genuine card (that takes the check
 * symbol, the tag and a 45-bit MAC), so besides parsing the raw input we
 * build a genuine code from it and damage one byte of it, to reach the
 * deeper verdicts. Properties, each an abort on violation:
 *   - any CARD_OK re-encodes to codes that parse to the same id;
 *   - a genuine code with one byte changed is either still the same card
 *     (an alias such as O for 0, a case change, a separator) or refused:
 *     it never turns into another card. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/scanner.h"

static const unsigned char secret[CARD_SECRET_BYTES] = "fuzz secret of the fuzz shop...";
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void require(int ok)
{
    if (!ok) abort();
}

static void require_round_trip(const char id[CARD_ID_LEN + 1])
{
    char human[CARD_HUMAN_MAX], qr[CARD_QR_MAX], again[CARD_ID_LEN + 1];
    require(card_encode(secret, id, human, qr) == 0);
    require(card_parse(human, strlen(human), secret, again) == CARD_OK);
    require(strcmp(again, id) == 0);
    require(card_parse(qr, strlen(qr), secret, again) == CARD_OK);
    require(strcmp(again, id) == 0);
}

/* An id from the first 8 bytes, a genuine code for it, one byte of it
 * replaced as the next two input bytes say. */
static void damage_genuine_code(const uint8_t *data, size_t size)
{
    char id[CARD_ID_LEN + 1], qr[CARD_QR_MAX], got[CARD_ID_LEN + 1];
    if (size < CARD_ID_LEN + 2) return;
    for (size_t i = 0; i < CARD_ID_LEN; i++) id[i] = crockford[data[i] & 31];
    id[CARD_ID_LEN] = '\0';
    require_round_trip(id);

    require(card_encode(secret, id, NULL, qr) == 0);
    size_t len = strlen(qr);
    qr[data[CARD_ID_LEN] % len] = (char)data[CARD_ID_LEN + 1];
    enum card_verdict v = card_parse(qr, len, secret, got);
    require(v < CARD_VERDICT_COUNT);
    require(v != CARD_OK || strcmp(got, id) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char id[CARD_ID_LEN + 1];
    enum card_verdict v = card_parse((const char *)data, size, secret, id);
    require(v < CARD_VERDICT_COUNT);
    require(card_verdict_message(v)[0] != '\0');
    if (v == CARD_OK)
        require_round_trip(id);
    else
        require(id[0] == '\0');

    damage_genuine_code(data, size);
    return 0;
}
