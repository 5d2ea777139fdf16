/* shop.c - the shop this till belongs to: its identity (origin, shop id,
 * secret, CURVE keys, made once by store_init_shop or a join) and what
 * every command reads from it (name, currency). */
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* Loads what every command needs: origin, shop name and currency. */
int load_shop(store *s)
{
    char buf[STORE_ORIGIN_LEN + 1] = "";
    if (local_get(s, "origin", buf, STORE_ORIGIN_LEN) != STORE_ORIGIN_LEN)
        return -1;
    memcpy(s->origin, buf, STORE_ORIGIN_LEN);
    s->origin[STORE_ORIGIN_LEN] = '\0';
    store_setting_get(s, "shop.name", s->shop_name, sizeof s->shop_name);
    store_setting_get(s, "shop.currency", s->currency, sizeof s->currency);
    s->digits = currency_digits(s->currency);
    if (s->digits < 0)
        s->digits = 2;
    return 0;
}

bool store_is_initialised(store *s) { return s->origin[0] != '\0'; }
const char *store_origin(store *s) { return s->origin; }
const char *store_shop_name(store *s) { return s->shop_name; }
const char *store_currency(store *s) { return s->currency; }
int store_currency_digits(store *s) { return s->digits; }

int store_shop_secret(store *s, unsigned char secret[STORE_SECRET_BYTES])
{
    if (local_get(s, "shop_secret", secret, STORE_SECRET_BYTES) != STORE_SECRET_BYTES)
        return store_fail(s, _("this till has no shop secret: run 'tally init' or join a shop"));
    return 0;
}

static int init_shop_tx(store *s, void *arg)
{
    const char **nc = arg;
    unsigned char secret[STORE_SECRET_BYTES], pk[crypto_box_PUBLICKEYBYTES],
        sk[crypto_box_SECRETKEYBYTES];
    char origin[STORE_ORIGIN_LEN + 1], shop_id[17];
    randombytes_buf(secret, sizeof secret);
    crypto_box_keypair(pk, sk);     /* Curve25519: the till's CURVE key pair */
    random_id(origin, STORE_ORIGIN_LEN);
    random_id(shop_id, 16);
    if (local_set(s, "origin", origin, STORE_ORIGIN_LEN) != 0 ||
        local_set(s, "shop_id", shop_id, 16) != 0 ||
        local_set(s, "shop_secret", secret, sizeof secret) != 0 ||
        local_set(s, "public_key", pk, sizeof pk) != 0 ||
        local_set(s, "secret_key", sk, sizeof sk) != 0)
        return -1;
    sodium_memzero(secret, sizeof secret);
    sodium_memzero(sk, sizeof sk);
    memcpy(s->origin, origin, sizeof origin);
    if (store_setting_set(s, "", "shop.name", nc[0]) != 0 ||
        store_setting_set(s, "", "shop.currency", nc[1]) != 0)
        return -1;
    return load_shop(s);
}

int store_init_shop(store *s, const char *name, const char *currency)
{
    if (store_is_initialised(s))
        return store_fail(s, _("this database already holds a shop (%s)"), s->shop_name);
    const char *nc[2] = { name, currency };
    if (store_atomically(s, init_shop_tx, nc) != 0) {
        s->origin[0] = '\0';
        return -1;
    }
    return 0;
}
