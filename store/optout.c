/* optout.c - opt-outs the customer sends: "STOP" replied to an SMS, an
 * unsubscribe mail, an unsubscribe link.
 *
 * Each withdraws the channel's consent with a profile event that names no
 * staff member (the customer did it), the same event a manager's
 * 'tally customer edit --consent-sms no' makes: it replicates, every till
 * derives the withdrawal, and the sender's messenger, which asks right
 * before each send, suppresses what was waiting. Whichever till hears the
 * reply records it. A link's token is a MAC of the customer's id under the
 * shop's secret, which every till of the shop holds, so any till can check
 * it and nobody can opt someone else out by guessing. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define TOKEN_MAC_BYTES 10

/* The words a reply opts out with, in the shop's languages (compared
 * without case, accents as written or left out). */
static const char *const STOP_WORDS[] = {
    "stop", "stopp", "unsubscribe", "end", "cancel",
    "nie", "rezygnuje", "rezygnuję", "wypisz",
    "dezabonare", "dezabonează", "dezaboneaza",
    "leiratkozas", "leiratkozás", "leiratkozom",
    NULL
};

bool store_reply_is_stop(const char *text)
{
    char word[32];
    size_t n = 0;
    const char *p = text ? text : "";
    while (*p && isspace((unsigned char)*p))
        p++;
    for (; *p && !isspace((unsigned char)*p) && !strchr(".,!;:", *p) && n + 1 < sizeof word; p++)
        word[n++] = (char)tolower((unsigned char)*p);
    word[n] = '\0';
    /* The first word alone, so "STOP" opts out and "no stopping by" does not. */
    for (int i = 0; STOP_WORDS[i]; i++)
        if (strcmp(word, STOP_WORDS[i]) == 0)
            return true;
    return false;
}

/* The last nine digits of a phone number, as enrolment matches them, or
 * -1 if it has fewer than six. */
static int phone_tail(const char *phone, char out[10])
{
    char digits[32];
    size_t n = 0;
    for (const char *p = phone; *p && n + 1 < sizeof digits; p++)
        if (isdigit((unsigned char)*p))
            digits[n++] = *p;
    digits[n] = '\0';
    if (n < 6)
        return -1;
    size_t from = n > 9 ? n - 9 : 0;
    memcpy(out, digits + from, n - from + 1);
    return 0;
}

struct ids {
    char (*v)[STORE_ID_LEN + 1];
    int n, cap;
};

static int withdraw(store *s, const char *customer, bool email)
{
    struct store_event ev;
    event_init(&ev, "profile", "", customer);
    snprintf(ev.data, sizeof ev.data, "{\"%s\":0}", email ? "consent_email" : "consent_sms");
    snprintf(ev.reason, sizeof ev.reason, "%s", STORE_REASON_CUSTOMER_OPT_OUT);
    return event_append(s, &ev);
}

int store_message_opt_out(store *s, const char *channel, const char *address, int *n)
{
    *n = 0;
    bool email = channel && strcmp(channel, "email") == 0;
    if (!email && (!channel || strcmp(channel, "sms") != 0))
        return store_fail(s, "unknown channel '%s'", channel ? channel : "");
    char tail[10] = "";
    if (!email && phone_tail(address ? address : "", tail) != 0)
        return store_fail(s, _("'%s' is not a phone number: give 6 to 15 digits, optionally with a leading +"),
                          address ? address : "");
    if (email && (!address || !strchr(address, '@')))
        return store_fail(s, _("'%s' is not an e-mail address"), address ? address : "");
    /* Everyone with that address who still has the consent: a family's
     * shared phone opts out as one. */
    sqlite3_stmt *st = email
        ? store_sql(s, "SELECT c.id FROM customers c JOIN contact k ON k.customer = c.id WHERE c.email <> ''"
                 " AND lower(c.email) = lower(?1) AND c.forgotten = 0 AND k.email_ok = 1")
        : sql_keyed(s, "SELECT c.id FROM customers c JOIN contact k ON k.customer = c.id WHERE c.phone <> ''"
                 " AND substr(c.phone, -9) = ?1 AND c.forgotten = 0 AND k.sms_ok = 1", email ? address : tail);
    if (!st)
        return -1;
    struct ids ids = { 0 };
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (ids.n == ids.cap) {
            int cap = ids.cap ? 2 * ids.cap : 4;
            void *v = realloc(ids.v, (size_t)cap * sizeof *ids.v);
            if (!v) {
                rc = store_fail(s, _("out of memory"));
                break;
            }
            ids.v = v;
            ids.cap = cap;
        }
        copy_col(st, 0, ids.v[ids.n], sizeof ids.v[ids.n]);
        ids.n++;
    }
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_fail(s);
    sqlite3_reset(st);
    if (rc == 0 && ids.n > 0 && (rc = tx_begin(s)) == 0) {
        for (int i = 0; rc == 0 && i < ids.n; i++)
            rc = withdraw(s, ids.v[i], email);
        if (rc == 0)
            rc = tx_commit(s);
        else
            tx_rollback(s);
    }
    if (rc == 0)
        *n = ids.n;
    free(ids.v);
    return rc;
}

static int token_mac(store *s, const char *customer, unsigned char mac[TOKEN_MAC_BYTES])
{
    unsigned char secret[STORE_SECRET_BYTES];
    if (store_shop_secret(s, secret) != 0)
        return -1;
    static const char DOMAIN[] = "tally unsubscribe v1:";
    crypto_generichash_state h;
    crypto_generichash_init(&h, secret, sizeof secret, TOKEN_MAC_BYTES);
    crypto_generichash_update(&h, (const unsigned char *)DOMAIN, sizeof DOMAIN - 1);
    crypto_generichash_update(&h, (const unsigned char *)customer, strlen(customer));
    crypto_generichash_final(&h, mac, TOKEN_MAC_BYTES);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

int store_unsubscribe_token(store *s, const char *customer, char out[STORE_UNSUBSCRIBE_TOKEN_LEN + 1])
{
    unsigned char mac[TOKEN_MAC_BYTES];
    if (strlen(customer) > STORE_ID_LEN || token_mac(s, customer, mac) != 0)
        return -1;
    char hex[2 * TOKEN_MAC_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, STORE_UNSUBSCRIBE_TOKEN_LEN + 1, "%s-%s", customer, hex);
    return 0;
}

int store_message_unsubscribe(store *s, const char *token, int *n)
{
    *n = 0;
    const char *dash = token ? strrchr(token, '-') : NULL;
    char customer[STORE_ID_LEN + 1];
    unsigned char mac[TOKEN_MAC_BYTES], given[TOKEN_MAC_BYTES];
    size_t len = 0;
    if (!dash || dash == token || (size_t)(dash - token) > STORE_ID_LEN ||
        sodium_hex2bin(given, sizeof given, dash + 1, strlen(dash + 1), NULL, &len, NULL) != 0 ||
        len != sizeof given)
        return store_fail(s, _("'%s' is not an unsubscribe token of this shop"), token ? token : "");
    snprintf(customer, sizeof customer, "%.*s", (int)(dash - token), token);
    if (token_mac(s, customer, mac) != 0)
        return -1;
    if (sodium_memcmp(mac, given, sizeof mac) != 0)
        return store_fail(s, _("'%s' is not an unsubscribe token of this shop"), token);
    struct store_contact k;
    if (store_customer_contact(s, customer, &k) != 0)
        return -1;
    /* Already out, or forgotten since: nothing to record, and no error
     * (a link clicked twice). */
    struct store_customer c;
    if (!k.email || store_customer_get(s, customer, &c) != 0 || c.forgotten)
        return 0;
    if (tx_begin(s) != 0)
        return -1;
    if (withdraw(s, customer, true) != 0) {
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    *n = 1;
    return 0;
}
