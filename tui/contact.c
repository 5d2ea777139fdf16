/* contact.c - messages at the counter and the customer's message
 * preferences on the kiosk: the message waiting to be told, marking it
 * passed on, and the language and consent form. */
#define _XOPEN_SOURCE_EXTENDED 1
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "panel.h"
#include "util/util.h"

/* text into a prompt line: one line, cut at a character's start. */
static void prompt_set(struct prompt *p, enum colour colour, const char *lead, const char *text)
{
    p->colour = colour;
    size_t room = sizeof p->text - 1, n = strlen(lead) < room ? strlen(lead) : room, k = 0;
    memcpy(p->text, lead, n);
    for (; text[k] && n < room; k++)
        p->text[n++] = text[k] == '\n' ? ' ' : text[k];
    /* Cut inside a character: drop its first bytes too. */
    while (k > 0 && n > 0 && ((unsigned char)text[k] & 0xC0) == 0x80) {
        k--;
        n--;
    }
    p->text[n] = '\0';
}

int contact_prompts(store *s, const char *customer, const char *lang, struct prompt *out, int max)
{
    struct store_message m;
    struct store_rendered r;
    struct store_coupon cp;
    if (max < 2 || store_message_for_counter(s, customer, &m) != 1 || store_message_render(s, &m, &r) != 0)
        return 0;
    prompt_set(&out[0], C_GOOD, _("Tell them (F1 once told): "), r.subject);
    prompt_set(&out[1], C_NORMAL, "  ", r.body);
    if (max < 3 || store_message_coupon(s, &m, &cp) != 1)
        return 2;
    /* The body's end may be cut off the line: the coupon gets its own. */
    char what[128], until[32], code[16];
    time_t t = (time_t)(cp.expires / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    date_format(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, lang, until, sizeof until);
    coupon_what(s, &cp, lang, what, sizeof what);
    snprintf(code, sizeof code, "%.4s-%.4s", cp.code, cp.code + 4);
    out[2].colour = C_ACCENT;
    snprintf(out[2].text, sizeof out[2].text, _("  Their coupon: %s, %s, until %s"), code, what, until);
    return 3;
}

int contact_passed_on(store *s, const char *staff, const char *customer, char *msg, size_t msgsz)
{
    struct store_message m;
    int found = store_message_for_counter(s, customer, &m);
    if (found <= 0) {
        snprintf(msg, msgsz, "%s", found < 0 ? store_error(s) : _("No message is waiting for this customer."));
        return -1;
    }
    struct store_msg_outcome o = { .status = MSG_SENT, .reason = STORE_REASON_TOLD, .tries = 1 };
    if (store_message_record(s, staff, m.key, &o) != 0) {
        snprintf(msg, msgsz, "%s", store_error(s));
        return -1;
    }
    snprintf(msg, msgsz, "%s", _("Message passed on."));
    return 0;
}

static void field_set(struct field *f, const char *text)
{
    field_clear(f);
    for (const char *p = text; *p; p++)
        field_key(f, (wint_t)(unsigned char)*p, false);
}

void contact_fill(store *s, const char *customer, struct field f[3])
{
    struct store_contact k;
    field_init(&f[0], 2, false, false);
    field_init(&f[1], 3, false, false);
    field_init(&f[2], 3, false, false);
    if (store_customer_contact(s, customer, &k) != 0)
        return;
    field_set(&f[0], k.language);
    field_set(&f[1], answer_letter(k.email));
    field_set(&f[2], answer_letter(k.sms));
}

int answer_yes(const char *text)
{
    char c = text[0];
    return c && strchr("yYtTdDiI", c) ? 1 : c && strchr("nN", c) ? 0 : -1;
}

const char *answer_letter(bool yes)
{
    /* TRANSLATORS: the letters a y/n prompt shows ("(y/n)"): t/n, d/n, i/n. */
    return yes ? C_("answer", "y") : C_("answer", "n");
}

int contact_save(store *s, const char *staff, const char *customer, const struct field f[3], char *msg,
                 size_t msgsz)
{
    /* y/n in any of the four languages' first letters: yes, tak, da, igen. */
    const char *v[2];
    for (int i = 0; i < 2; i++) {
        int a = answer_yes(f[1 + i].text);
        v[i] = a == 1 ? "yes" : a == 0 ? "no" : NULL;
        if (!v[i]) {
            snprintf(msg, msgsz, "%s", _("Type y or n for each channel."));
            return -1;
        }
    }
    struct store_profile p = { .consent = -1, .language = f[0].text, .consent_email = v[0], .consent_sms = v[1] };
    if (store_customer_edit(s, staff, customer, &p) != 0) {
        snprintf(msg, msgsz, "%s", store_error(s));
        return -1;
    }
    snprintf(msg, msgsz, "%s", _("Preferences saved."));
    return 0;
}

void contact_line(store *s, const char *customer, char *out, size_t outsz)
{
    struct store_contact k;
    out[0] = '\0';
    if (store_customer_contact(s, customer, &k) != 0)
        return;
    snprintf(out, outsz, _("Messages in %s · e-mail %s · SMS %s"), k.language, k.email ? _("yes") : _("no"),
             k.sms ? _("yes") : _("no"));
}
