/* mime.c - a message as an e-mail: headers in ASCII with RFC 2047
 * encoded words for anything else (a subject "Wszystkiego najlepszego,
 * Łukasz" becomes =?UTF-8?B?...?= words of at most 75 characters, each
 * whole characters), the UTF-8 body quoted-printable so no line is
 * longer than 76 and no 8-bit byte crosses a relay that cannot take it. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "messenger.h"

struct out {
    char *p;
    size_t len, cap;
    bool full;
};

static void mime_put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void mime_put(struct out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

static bool ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return false;
    return true;
}

/* text as encoded words, folded onto continuation lines. */
static void encoded_words(struct out *o, const char *text)
{
    size_t len = strlen(text), at = 0;
    bool first = true;
    while (at < len) {
        /* 45 bytes make 60 base64 characters: 72 with the markers. */
        size_t take = len - at > 45 ? 45 : len - at;
        while (take > 0 && at + take < len && ((unsigned char)text[at + take] & 0xC0) == 0x80)
            take--;
        char b64[64];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)text + at, take,
                          sodium_base64_VARIANT_ORIGINAL);
        mime_put(o, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        first = false;
        at += take;
    }
}

static void header_text(struct out *o, const char *name, const char *text)
{
    mime_put(o, "%s: ", name);
    if (ascii_printable(text) && strlen(text) < 900)
        mime_put(o, "%s", text);
    else
        encoded_words(o, text);
    mime_put(o, "\r\n");
}

/* The shop's name before the address: a quoted string, or encoded. */
static void header_from(struct out *o, const char *shop, const char *addr)
{
    mime_put(o, "From: ");
    if (!*shop)
        mime_put(o, "<%s>", addr);
    else if (ascii_printable(shop) && !strpbrk(shop, "\"\\"))
        mime_put(o, "\"%s\" <%s>", shop, addr);
    else {
        encoded_words(o, shop);
        mime_put(o, " <%s>", addr);
    }
    mime_put(o, "\r\n");
}

/* RFC 5322 date, in English whatever the locale. */
static void header_date(struct out *o, int64_t now_ms)
{
    static const char *const DAY[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const MON[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    mime_put(o, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", DAY[tm.tm_wday], tm.tm_mday, MON[tm.tm_mon],
        tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* unsubscribe's addresses, each in <>, {customer} and {token} filled in. */
static void header_unsubscribe(struct out *o, const struct messenger_config *cfg, const char *customer,
                               const char *token)
{
    char list[MESSENGER_TEXT_MAX * 2];
    if (cfg->unsubscribe[0])
        snprintf(list, sizeof list, "%s", cfg->unsubscribe);
    else
        snprintf(list, sizeof list, "mailto:%s?subject=unsubscribe%%20{token}", cfg->from);
    mime_put(o, "List-Unsubscribe: ");
    bool https = false, first = true;
    char *save = NULL;
    for (char *uri = strtok_r(list, ", ", &save); uri; uri = strtok_r(NULL, ", ", &save)) {
        https |= strncmp(uri, "https:", 6) == 0;
        mime_put(o, "%s<", first ? "" : ",\r\n ");
        first = false;
        for (const char *p = uri; *p; p++) {
            if (strncmp(p, "{customer}", 10) == 0) {
                mime_put(o, "%s", customer);
                p += 9;
            } else if (strncmp(p, "{token}", 7) == 0) {
                mime_put(o, "%s", token);
                p += 6;
            } else {
                mime_put(o, "%c", *p);
            }
        }
        mime_put(o, ">");
    }
    mime_put(o, "\r\n");
    if (https)      /* RFC 8058: one click, no confirmation page */
        mime_put(o, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
}

static void quoted_printable(struct out *o, const char *body)
{
    int col = 0;
    for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
        if (*p == '\n') {
            mime_put(o, "\r\n");
            col = 0;
            continue;
        }
        bool line_end = p[1] == '\0' || p[1] == '\n';
        bool plain = (*p >= 33 && *p <= 126 && *p != '=') || (*p == ' ' && !line_end);
        int width = plain ? 1 : 3;
        if (col + width > 75) {
            mime_put(o, "=\r\n");
            col = 0;
        }
        if (plain)
            mime_put(o, "%c", *p);
        else
            mime_put(o, "=%02X", *p);
        col += width;
    }
    mime_put(o, "\r\n");
}

void messenger_message_id(const char *shop_id, const char *key, const char *from, char *out, size_t outsz)
{
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)shop_id, strlen(shop_id) + 1);
    crypto_generichash_update(&st, (const unsigned char *)key, strlen(key));
    crypto_generichash_final(&st, h, sizeof h);
    char hex[33];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    const char *at = strchr(from, '@');
    snprintf(out, outsz, "<%s.tally@%s>", hex, at && at[1] ? at + 1 : "localhost");
}

int messenger_mime(const struct messenger_config *cfg, const char *shop, const char *to,
                   const char *customer, const char *token, const char *lang, const char *message_id,
                   const char *subject, const char *body, int64_t now_ms, char *out, size_t outsz)
{
    struct out o = { out, 0, outsz, outsz == 0 };
    header_date(&o, now_ms);
    header_from(&o, shop, cfg->from);
    mime_put(&o, "To: <%s>\r\n", to);
    header_text(&o, "Subject", subject);
    mime_put(&o, "Message-ID: %s\r\n", message_id);
    mime_put(&o, "MIME-Version: 1.0\r\n");
    mime_put(&o, "Content-Type: text/plain; charset=UTF-8\r\n");
    mime_put(&o, "Content-Transfer-Encoding: quoted-printable\r\n");
    mime_put(&o, "Content-Language: %s\r\n", lang);
    header_unsubscribe(&o, cfg, customer, token);
    mime_put(&o, "\r\n");
    quoted_printable(&o, body);
    return o.full ? -1 : (int)o.len;
}
