/* messages.c - messages to customers: the triggers that queue them, the
 * outbox derived from "message" events, each customer's language and
 * consent per channel, and the templates. See messages.h.
 *
 * Exactly once per occasion: a trigger's event carries the occasion key
 * (the ledger's once-per-occasion mechanism, events.c occasion_claim), and
 * the outbox has one row per key whichever till's event holds it, so two
 * tills that fire the same occasion make one message. Whatever the order
 * the events arrive in, every till derives the same outbox. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define DAY_MS ((int64_t)86400000)

static const char *const STATUS[MSG_STATUS_COUNT] = {
    "queued", "retrying", "suppressed", "expired", "failed", "sent"
};

const char *store_msg_status_name(int status)
{
    return status >= 0 && status < MSG_STATUS_COUNT ? STATUS[status] : "";
}

int store_msg_status_parse(const char *name)
{
    for (int i = 0; name && i < MSG_STATUS_COUNT; i++)
        if (strcmp(name, STATUS[i]) == 0)
            return i;
    return -1;
}

/* offer: the setting naming the coupon the trigger's message brings
 * (program.c), with its days of validity in offer "_days". */
static const struct {
    const char *name, *setting, *offer, *help;
} TRIGGERS[TRIG_COUNT] = {
    { "welcome", "messages.welcome", "offer.welcome", N_("welcome: when a customer enrols") },
    { "reward", "messages.reward", "offer.reward", N_("reward: a purchase brings the balance to a reward (a full stamp card)") },
    { "tier", "messages.tier", "offer.tier", N_("tier: a purchase moves the customer up to a new tier") },
    { "tier-close", "messages.tier_close_percent", "offer.tier_close", N_("tier-close: spend reaches messages.tier_close_percent of the next tier") },
    { "birthday", "messages.birthday", "offer.birthday", N_("birthday: messages.birthday_days before the birthday") },
    { "expiring", "messages.expiring", "offer.expiring", N_("expiring: points expire within messages.expiring_days") },
    { "winback", "messages.winback", "offer.winback", N_("winback: a member becomes at-risk or lapsed (as the reports define them)") },
    { "anniversary", "messages.anniversary", "offer.anniversary", N_("anniversary: a year (or more) since the first visit, in the week from the day") },
    { "balance", "messages.balance_days", "offer.balance", N_("balance: the balance after a purchase, at most once per messages.balance_days") },
};

const char *store_trigger_name(int t) { return t >= 0 && t < TRIG_COUNT ? TRIGGERS[t].name : ""; }
const char *store_trigger_help(int t) { return t >= 0 && t < TRIG_COUNT ? TRIGGERS[t].help : ""; }

int store_trigger_parse(const char *name)
{
    for (int i = 0; name && i < TRIG_COUNT; i++)
        if (strcmp(name, TRIGGERS[i].name) == 0)
            return i;
    return -1;
}

const char *const STORE_MSG_LANGS[] = { "en", "pl", "ro", "hu", NULL };

bool store_msg_lang_known(const char *lang)
{
    for (int i = 0; lang && STORE_MSG_LANGS[i]; i++)
        if (strcmp(lang, STORE_MSG_LANGS[i]) == 0)
            return true;
    return false;
}

/* --- templates ---------------------------------------------------------- */

const char *const STORE_PLACEHOLDERS[] = {
    "name", "shop", "points", "stamps", "reward", "tier", "next_tier", "to_next", "days", "expiring", "years",
    "coupon", "coupon_expires", "coupon_offer", NULL
};

/* The shipped texts: [trigger][language] subject and body, languages in
 * STORE_MSG_LANGS order. They are the customer's language, not the
 * screen's, so they are data here rather than gettext messages. */
static const char *const SHIPPED[TRIG_COUNT][4][2] = {
    [TRIG_WELCOME] = {
        { "Welcome to {shop}", "Hello {name}, welcome to the {shop} loyalty club! You have {points} points. Show your card at every visit." },
        { "Witamy w klubie {shop}", "Cześć {name}, witamy w klubie lojalnościowym {shop}! Masz {points} pkt. Pokazuj kartę przy każdej wizycie." },
        { "Bine ai venit la {shop}", "Bună, {name}, bine ai venit în clubul de fidelitate {shop}! Ai {points} puncte. Arată cardul la fiecare vizită." },
        { "Üdvözlünk: {shop}", "Szia {name}, üdvözlünk a hűségklubunkban! {points} pontod van. Minden látogatáskor mutasd fel a kártyádat. – {shop}" },
    },
    [TRIG_REWARD] = {
        { "Your {reward} is waiting", "Hello {name}, you can now have {reward} at {shop}. Just show your card." },
        { "Czeka na Ciebie: {reward}", "Cześć {name}, możesz już odebrać nagrodę: {reward}. Wystarczy pokazać kartę. – {shop}" },
        { "Te așteaptă: {reward}", "Bună, {name}, poți primi acum {reward} la {shop}. Trebuie doar să arăți cardul." },
        { "Vár a jutalmad: {reward}", "Szia {name}, már kérheted: {reward} – {shop}. Csak mutasd fel a kártyádat." },
    },
    [TRIG_TIER] = {
        { "You are now {tier}", "Congratulations, {name}: you are now {tier} at {shop}." },
        { "Masz poziom {tier}", "Gratulacje, {name}! Masz teraz poziom {tier}. Dziękujemy, że jesteś z nami. – {shop}" },
        { "Ai ajuns la nivelul {tier}", "Felicitări, {name}: acum ai nivelul {tier} la {shop}." },
        { "Elérted: {tier}", "Gratulálunk, {name}: mostantól {tier} szinten vagy – {shop}." },
    },
    [TRIG_TIER_CLOSE] = {
        { "Almost {next_tier}", "Hello {name}, you are only {to_next} away from {next_tier} at {shop}." },
        { "Już prawie {next_tier}", "Cześć {name}, do poziomu {next_tier} brakuje Ci już tylko {to_next}. – {shop}" },
        { "Aproape {next_tier}", "Bună, {name}, mai ai doar {to_next} până la {next_tier} la {shop}." },
        { "Már majdnem {next_tier}", "Szia {name}, már csak {to_next} hiányzik a következő szinthez ({next_tier}). – {shop}" },
    },
    [TRIG_BIRTHDAY] = {
        { "Happy birthday from {shop}", "Happy birthday, {name}! Come by {shop} in the next {days} days: we have something for you." },
        { "{shop}: wszystkiego najlepszego!", "Wszystkiego najlepszego, {name}! Wpadnij do nas w ciągu {days} dni: mamy coś dla Ciebie. – {shop}" },
        { "La mulți ani de la {shop}", "La mulți ani, {name}! Treci pe la {shop} în următoarele {days} zile: avem ceva pentru tine." },
        { "Boldog születésnapot – {shop}", "Boldog születésnapot, {name}! Ugorj be a következő {days} napban – {shop}: készültünk valamivel." },
    },
    [TRIG_EXPIRING] = {
        { "{expiring} points expire soon", "Hello {name}, {expiring} of your points at {shop} expire within {days} days. Use them before they go!" },
        { "Wkrótce wygaśnie {expiring} pkt", "Cześć {name}, {expiring} pkt na Twojej karcie wygaśnie w ciągu {days} dni. Wykorzystaj je! – {shop}" },
        { "{expiring} puncte expiră în curând", "Bună, {name}, {expiring} dintre punctele tale la {shop} expiră în {days} zile. Folosește-le!" },
        { "Hamarosan lejár {expiring} pontod", "Szia {name}, {expiring} pontod {days} napon belül lejár – {shop}. Használd fel!" },
    },
    [TRIG_WINBACK] = {
        { "We miss you at {shop}", "Hello {name}, we have not seen you for {days} days. Come by {shop} soon!" },
        { "Tęsknimy za Tobą – {shop}", "Cześć {name}, nie widzieliśmy się od {days} dni. Wpadnij do nas! – {shop}" },
        { "Ne este dor de tine la {shop}", "Bună, {name}, nu te-am mai văzut de {days} zile. Treci pe la {shop}!" },
        { "Hiányzol nekünk – {shop}", "Szia {name}, {days} napja nem láttunk. Ugorj be hozzánk – {shop}!" },
    },
    [TRIG_ANNIVERSARY] = {
        { "Happy anniversary from {shop}", "Hello {name}, this week is the anniversary of your first visit to {shop} (years with us: {years}). Thank you! Come by this week." },
        { "Nasza rocznica – {shop}", "Cześć {name}, w tym tygodniu mija rocznica Twojej pierwszej wizyty u nas (lat z nami: {years}). Dziękujemy! Wpadnij w tym tygodniu. – {shop}" },
        { "Aniversare cu {shop}", "Bună, {name}, săptămâna aceasta este aniversarea primei tale vizite la {shop} (ani cu noi: {years}). Mulțumim! Treci pe la noi săptămâna aceasta." },
        { "Évforduló – {shop}", "Szia {name}, ezen a héten van az évfordulója, hogy először jártál nálunk – {shop} ({years} éve). Köszönjük! Ugorj be ezen a héten." },
    },
    [TRIG_BALANCE] = {
        { "Your balance at {shop}", "Hello {name}, thank you for your visit. You now have {points} points and {stamps} stamps at {shop}." },
        { "Twoje saldo – {shop}", "Cześć {name}, dziękujemy za wizytę. Twoje saldo: {points} pkt, pieczątki: {stamps}. – {shop}" },
        { "Soldul tău la {shop}", "Bună, {name}, mulțumim pentru vizită. Soldul tău la {shop}: puncte: {points}, ștampile: {stamps}." },
        { "Egyenleged – {shop}", "Szia {name}, köszönjük a látogatást. Most {points} pontod és {stamps} pecséted van – {shop}." },
    },
};

static int lang_index(const char *lang)
{
    for (int i = 0; STORE_MSG_LANGS[i]; i++)
        if (strcmp(lang, STORE_MSG_LANGS[i]) == 0)
            return i;
    return 0;
}

static bool placeholder_known(const char *name, size_t len)
{
    for (int i = 0; STORE_PLACEHOLDERS[i]; i++)
        if (strlen(STORE_PLACEHOLDERS[i]) == len && memcmp(STORE_PLACEHOLDERS[i], name, len) == 0)
            return true;
    return false;
}

int store_template_check(store *s, const char *text, bool subject)
{
    size_t len = strlen(text), chars = 0;
    if (!utf8_valid(text, len))
        return store_fail(s, subject ? _("the subject is not UTF-8 text: save it as UTF-8")
                                     : _("the body is not UTF-8 text: save it as UTF-8"));
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if ((ch & 0xC0) != 0x80)
            chars++;
        if ((ch < ' ' && !(ch == '\n' && !subject)) || ch == 0x7F)
            return store_fail(s, subject ? _("the subject must be one line without control characters")
                                         : _("the body may have line breaks but no other control characters"));
    }
    if (chars == 0)
        return store_fail(s, subject ? _("give a subject") : _("give a body"));
    size_t max = subject ? STORE_SUBJECT_MAX : STORE_BODY_MAX;
    if (chars > max)
        return store_fail(s, subject ? _("the subject is %zu characters long; at most %zu")
                                     : _("the body is %zu characters long; at most %zu"), chars, max);
    for (const char *p = text; (p = strpbrk(p, "{}")) != NULL; p++) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        const char *open = end ? memchr(p + 1, '{', (size_t)(end - p - 1)) : NULL;
        if (*p == '}' || !end || open)
            return store_fail(s, _("a '{' or '}' without its pair: placeholders are written {name}"));
        if (!placeholder_known(p + 1, (size_t)(end - p - 1))) {
            char known[256] = "";
            for (int i = 0; STORE_PLACEHOLDERS[i]; i++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s{%s}", i ? ", " : "",
                         STORE_PLACEHOLDERS[i]);
            return store_fail(s, _("unknown placeholder {%.*s}: use %s"), (int)(end - p - 1 > 40 ? 40 : end - p - 1),
                              p + 1, known);
        }
        p = end;
    }
    return 0;
}

int store_template_get(store *s, int trigger, const char *lang, char *subject, size_t subjectsz,
                       char *body, size_t bodysz, bool *custom)
{
    if (trigger < 0 || trigger >= TRIG_COUNT || !store_msg_lang_known(lang))
        return store_fail(s, _("no such trigger or language"));
    sqlite3_stmt *st = store_sql(s, "SELECT subject, body FROM templates WHERE trig = ?1 AND lang = ?2");
    if (!st)
        return -1;
    bind_text(st, 1, TRIGGERS[trigger].name);
    bind_text(st, 2, lang);
    bool own = sqlite3_step(st) == SQLITE_ROW;
    if (own) {
        copy_col(st, 0, subject, subjectsz);
        copy_col(st, 1, body, bodysz);
    } else {
        snprintf(subject, subjectsz, "%s", SHIPPED[trigger][lang_index(lang)][0]);
        snprintf(body, bodysz, "%s", SHIPPED[trigger][lang_index(lang)][1]);
    }
    sqlite3_reset(st);
    if (custom)
        *custom = own;
    return 0;
}

int store_template_set(store *s, const char *manager, int trigger, const char *lang,
                       const char *subject, const char *body)
{
    if (require_manager(s, manager) != 0)
        return -1;
    if (trigger < 0 || trigger >= TRIG_COUNT)
        return store_fail(s, _("no such trigger; 'tally message template list' shows them"));
    if (!store_msg_lang_known(lang))
        return store_fail(s, _("'%s' is not a language tally writes messages in: en, pl, ro or hu"), lang);
    if ((subject == NULL) != (body == NULL))
        return store_fail(s, _("give both the subject and the body"));
    if (subject && (store_template_check(s, subject, true) != 0 || store_template_check(s, body, false) != 0))
        return -1;
    struct store_event ev;
    event_init(&ev, "template", manager, NULL);
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "trigger", TRIGGERS[trigger].name);
    jb_key_str(&jb, "lang", lang);
    jb_key_str(&jb, "subject", subject ? subject : "");
    jb_key_str(&jb, "body", body ? body : "");
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    IN_TX(event_append(s, &ev));
}

/* --- contact: language and consent ------------------------------------- */

static int yes_no(const char *v)
{
    static const char *const YES[] = { "yes", "y", "1", "true", NULL }, *const NO[] = { "no", "n", "0", "false", NULL };
    for (int i = 0; YES[i]; i++)
        if (strcmp(v, YES[i]) == 0)
            return 1;
    for (int i = 0; NO[i]; i++)
        if (strcmp(v, NO[i]) == 0)
            return 0;
    return -1;
}

int messages_profile_json(store *s, const struct store_profile *p, struct jbuf *data)
{
    if (p->language && *p->language) {
        if (!store_msg_lang_known(p->language))
            return store_fail(s, _("'%s' is not a language tally writes messages in: en, pl, ro or hu"), p->language);
        jb_key_str(data, "language", p->language);
    }
    const char *const values[2] = { p->consent_email, p->consent_sms };
    const char *const keys[2] = { "consent_email", "consent_sms" };
    for (int i = 0; i < 2; i++) {
        if (!values[i])
            continue;
        int v = yes_no(values[i]);
        if (v < 0)
            return store_fail(s, i == 0 ? _("consent to e-mail is 'yes' or 'no'") : _("consent to SMS is 'yes' or 'no'"));
        jb_key_int(data, keys[i], v);
    }
    return 0;
}

static bool forgotten(store *s, const char *customer)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT forgotten FROM customers WHERE id = ?1", customer);
    if (!st)
        return false;
    return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
}

/* language, consent_email and consent_sms of a profile or enrolment, each
 * last-writer-wins on its own; a withdrawal as much as a consent, so an
 * opt-out at any till reaches every till. */
static int derive_contact(store *s, const struct store_event *ev)
{
    static const char *const FIELDS[] = { "language", "consent_email", "consent_sms" };
    static const char *const UPDATES[] = {
        "UPDATE contact SET language = json_extract(?1, '$.language') WHERE customer = ?2",
        "UPDATE contact SET email_ok = json_extract(?1, '$.consent_email'), email_at = ?3, email_by = ?4"
        " WHERE customer = ?2",
        "UPDATE contact SET sms_ok = json_extract(?1, '$.consent_sms'), sms_at = ?3, sms_by = ?4"
        " WHERE customer = ?2",
    };
    char entity[32], quoted[24];
    snprintf(entity, sizeof entity, "contact:%s", ev->customer);
    for (int f = 0; f < 3; f++) {
        snprintf(quoted, sizeof quoted, "\"%s\"", FIELDS[f]);
        if (!strstr(ev->data, quoted))
            continue;
        if (f > 0 && forgotten(s, ev->customer))
            continue;   /* a late edit does not bring consent back */
        int won = lww_wins(s, entity, FIELDS[f], ev);
        if (won <= 0)
            return won;
        sqlite3_stmt *st = sql_keyed(s, "INSERT OR IGNORE INTO contact(customer) VALUES(?1)", ev->customer);
        if (!st)
            return -1;
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        if (!(st = store_sql(s, UPDATES[f])))
            return -1;
        bind_text(st, 1, ev->data);
        bind_text(st, 2, ev->customer);
        sqlite3_bind_int64(st, 3, ev->wall);
        bind_text(st, 4, ev->staff);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    return 0;
}

/* Forgetting a customer withdraws every consent and takes the personal
 * data out of their messages; those still waiting will not go. The
 * suppression ranks below every recorded suppression (hlc 0), so the
 * outcome is the same in whichever order the events arrive. */
static int derive_forget(store *s, const char *customer)
{
    static const char *const STEPS[] = {
        "UPDATE contact SET email_ok = 0, sms_ok = 0 WHERE customer = ?1",
        "UPDATE outbox SET recipient = '' WHERE customer = ?1",
        "UPDATE outbox SET status = 2, s_hlc = 0, s_origin = '', reason = '" STORE_REASON_FORGOTTEN "'"
        " WHERE customer = ?1 AND status < 2",
    };
    for (size_t i = 0; i < sizeof STEPS / sizeof STEPS[0]; i++) {
        sqlite3_stmt *st = sql_keyed(s, STEPS[i], customer);
        if (!st)
            return -1;
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
    }
    return 0;
}

int store_customer_contact(store *s, const char *customer, struct store_contact *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sql_keyed(s, "SELECT language, email_ok, email_at, email_by, sms_ok, sms_at, sms_by"
                              " FROM contact WHERE customer = ?1", customer);
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        copy_col(st, 0, out->language, sizeof out->language);
        out->email = sqlite3_column_int(st, 1) != 0;
        out->email_at = sqlite3_column_int64(st, 2);
        copy_col(st, 3, out->email_by, sizeof out->email_by);
        out->sms = sqlite3_column_int(st, 4) != 0;
        out->sms_at = sqlite3_column_int64(st, 5);
        copy_col(st, 6, out->sms_by, sizeof out->sms_by);
    }
    sqlite3_reset(st);      /* an open statement would hold its read snapshot */
    out->language_set = out->language[0] != '\0';
    if (!out->language_set) {
        char v[8];
        store_setting_get(s, "messages.language", v, sizeof v);
        memcpy(out->language, store_msg_lang_known(v) ? v : "en", 3);
    }
    return 0;
}

/* --- the outbox, derived from "message" events ------------------------- */

static int derive_template(store *s, const struct store_event *ev)
{
    char entity[64];
    sqlite3_stmt *st = sql_keyed(s, "SELECT 'template:' || json_extract(?1, '$.trigger') || ':'"
                              " || json_extract(?1, '$.lang')", ev->data);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
        return store_fail(s, "template without trigger or language");
    copy_col(st, 0, entity, sizeof entity);
    int won = lww_wins(s, entity, "text", ev);
    if (won <= 0)
        return won;
    /* An empty subject puts the shipped text back. */
    st = sql_keyed(s, "DELETE FROM templates WHERE trig = json_extract(?1, '$.trigger') AND lang = json_extract(?1, '$.lang')",
                   ev->data);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    st = sql_keyed(s, "INSERT INTO templates(trig, lang, subject, body) SELECT json_extract(?1, '$.trigger'),"
                " json_extract(?1, '$.lang'), json_extract(?1, '$.subject'), json_extract(?1, '$.body')"
                " WHERE json_extract(?1, '$.subject') <> ''", ev->data);
    if (!st)
        return -1;
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

static int derive_message(store *s, const struct store_event *ev)
{
    sqlite3_stmt *st;
    bool queued = strstr(ev->data, "\"status\":\"queued\"") != NULL;
    if (queued) {
        /* The row's content is the event that holds the occasion, so it
         * is the same on every till; its status comes from the outcomes. */
        if (!(st = store_sql(s, "INSERT OR IGNORE INTO outbox(key, customer) VALUES(?1, ?2)")))
            return -1;
        bind_text(st, 1, ev->occasion);
        bind_text(st, 2, ev->customer);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        st = store_sql(s, "UPDATE outbox SET customer = ?2, trig = json_extract(?3, '$.trigger'),"
                    " channel = json_extract(?3, '$.channel'), lang = json_extract(?3, '$.lang'),"
                    " created = ?4, expires = coalesce(json_extract(?3, '$.expires'), 0),"
                    " vars = coalesce(json_extract(?3, '$.vars'), '{}')"
                    " WHERE key = ?1 AND EXISTS (SELECT 1 FROM occasions WHERE key = ?1 AND origin = ?5 AND seq = ?6)");
        if (!st)
            return -1;
        bind_text(st, 1, ev->occasion);
        bind_text(st, 2, ev->customer);
        bind_text(st, 3, ev->data);
        sqlite3_bind_int64(st, 4, ev->wall);
        bind_text(st, 5, ev->origin);
        sqlite3_bind_int64(st, 6, ev->seq);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_fail(s);
        return forgotten(s, ev->customer) ? derive_forget(s, ev->customer) : 0;
    }
    char key[STORE_MSG_KEY_MAX], status[16];
    if (!(st = store_sql(s, "SELECT json_extract(?1, '$.msg'), json_extract(?1, '$.status')")))
        return -1;
    bind_text(st, 1, ev->data);
    if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
        return store_fail(s, "message outcome without msg");
    copy_col(st, 0, key, sizeof key);
    copy_col(st, 1, status, sizeof status);
    int rank = store_msg_status_parse(status);
    if (rank <= MSG_QUEUED)
        return store_fail(s, "message outcome with status '%s'", status);
    if (!(st = store_sql(s, "INSERT OR IGNORE INTO outbox(key, customer) VALUES(?1, ?2)")))
        return -1;
    bind_text(st, 1, key);
    bind_text(st, 2, ev->customer);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_fail(s);
    /* The outcome of highest rank wins, then the latest: a message once
     * sent stays sent, and a retry never undoes a failure. */
    st = store_sql(s, "UPDATE outbox SET status = ?2, s_hlc = ?3, s_origin = ?4, status_at = ?5,"
                " tries = coalesce(json_extract(?6, '$.tries'), 0),"
                " next_try = coalesce(json_extract(?6, '$.next_try'), 0), reason = ?7,"
                " recipient = CASE WHEN ?8 THEN '' ELSE coalesce(json_extract(?9, '$.to'), '') END,"
                " message_id = coalesce(json_extract(?6, '$.message_id'), '')"
                " WHERE key = ?1 AND (status, s_hlc, s_origin) < (?2, ?3, ?4)");
    if (!st)
        return -1;
    bind_text(st, 1, key);
    sqlite3_bind_int(st, 2, rank);
    sqlite3_bind_int64(st, 3, ev->hlc);
    bind_text(st, 4, ev->origin);
    sqlite3_bind_int64(st, 5, ev->wall);
    bind_text(st, 6, ev->data);
    bind_text(st, 7, ev->reason);
    sqlite3_bind_int(st, 8, forgotten(s, ev->customer));
    bind_text(st, 9, ev->pii[0] ? ev->pii : "{}");
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

int messages_derive(store *s, const struct store_event *ev)
{
    switch (ev->type[0]) {
    case 'm':
        return strcmp(ev->type, "message") == 0 ? derive_message(s, ev) : 0;
    case 't':
        return strcmp(ev->type, "template") == 0 ? derive_template(s, ev) : 0;
    case 'p':
    case 'e':
        if (strcmp(ev->type, "profile") == 0 || strcmp(ev->type, "enrol") == 0)
            return ev->data[1] ? derive_contact(s, ev) : 0;
        return 0;
    case 'f':
        return strcmp(ev->type, "forget") == 0 ? derive_forget(s, ev->customer) : 0;
    }
    return 0;
}

#define MESSAGE_COLS \
    "key, customer, trig, channel, lang, status, created, expires, status_at, tries, next_try," \
    " reason, recipient, message_id, vars"

static void row_to_message(sqlite3_stmt *st, struct store_message *m)
{
    memset(m, 0, sizeof *m);
    copy_col(st, 0, m->key, sizeof m->key);
    copy_col(st, 1, m->customer, sizeof m->customer);
    copy_col(st, 2, m->trigger, sizeof m->trigger);
    copy_col(st, 3, m->channel, sizeof m->channel);
    copy_col(st, 4, m->lang, sizeof m->lang);
    m->status = sqlite3_column_int(st, 5);
    m->created = sqlite3_column_int64(st, 6);
    m->expires = sqlite3_column_int64(st, 7);
    m->status_at = sqlite3_column_int64(st, 8);
    m->tries = sqlite3_column_int(st, 9);
    m->next_try = sqlite3_column_int64(st, 10);
    copy_col(st, 11, m->reason, sizeof m->reason);
    copy_col(st, 12, m->recipient, sizeof m->recipient);
    copy_col(st, 13, m->message_id, sizeof m->message_id);
    copy_col(st, 14, m->vars, sizeof m->vars);
}

int store_message_get(store *s, const char *key, struct store_message *out)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT " MESSAGE_COLS " FROM outbox WHERE key = ?1 AND trig <> ''", key);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no message '%s'; 'tally message list' shows them"), key);
    row_to_message(st, out);
    return 0;
}

int store_message_list(store *s, const struct store_message_filter *f,
                       int (*fn)(const struct store_message *, void *), void *arg)
{
    /* trig = '': an outcome whose queueing event has not arrived yet. */
    sqlite3_stmt *st = store_sql(s, "SELECT " MESSAGE_COLS " FROM outbox WHERE trig <> ''"
                              " AND (?1 = '' OR customer = ?1) AND (?2 < 0 OR status = ?2) AND (?3 = '' OR trig = ?3)"
                              " ORDER BY created DESC, key LIMIT ?4");
    if (!st)
        return -1;
    bind_text(st, 1, f && f->customer ? f->customer : "");
    sqlite3_bind_int(st, 2, f ? f->status : -1);
    bind_text(st, 3, f && f->trigger ? f->trigger : "");
    sqlite3_bind_int(st, 4, f && f->limit > 0 ? f->limit : -1);
    struct store_message *m = malloc(sizeof *m);
    if (!m)
        return store_fail(s, _("out of memory"));
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        row_to_message(st, m);
        if ((rc = fn(m, arg)) != 0)
            break;
    }
    free(m);
    if (rc == 0 && step != SQLITE_DONE)
        rc = db_fail(s);
    sqlite3_reset(st);
    return rc;
}

int messages_record_tx(store *s, const char *staff, const char *key, const struct store_msg_outcome *o)
{
    struct store_message m;
    if (store_message_get(s, key, &m) != 0)
        return -1;
    if (o->status <= MSG_QUEUED || o->status >= MSG_STATUS_COUNT)
        return store_fail(s, "bad message status %d", o->status);
    struct store_event ev;
    event_init(&ev, "message", staff, m.customer);
    if (o->reason && text_clean(o->reason, ev.reason, sizeof ev.reason, STORE_TEXT_MAX) != 0)
        snprintf(ev.reason, sizeof ev.reason, "%s", "?");
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "status", STATUS[o->status]);
    jb_key_str(&jb, "msg", key);
    jb_key_int(&jb, "tries", o->tries);
    if (o->next_try) {
        jb_key_int(&jb, "next_try", o->next_try);
    }
    if (o->message_id && *o->message_id) {
        jb_key_str(&jb, "message_id", o->message_id);
    }
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0)
        return -1;
    if (o->recipient && *o->recipient) {
        /* Where it went is personal: forgetting the customer erases it. */
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_str(&jb, "to", o->recipient);
        jb_obj_end(&jb);
        if (jb_take(s, &jb, ev.pii) != 0)
            return -1;
        pii_salt(ev.pii, sizeof ev.pii);
    }
    return event_append(s, &ev);
}

int store_message_record(store *s, const char *staff, const char *key, const struct store_msg_outcome *o)
{
    if (staff && *staff && require_staff(s, staff) != 0)
        return -1;
    IN_TX(messages_record_tx(s, staff ? staff : "", key, o));
}

static bool consent_given(store *s, const char *customer)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT consent FROM customers WHERE id = ?1 AND forgotten = 0", customer);
    if (!st)
        return false;
    return sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
}

int store_message_for_counter(store *s, const char *customer, struct store_message *out)
{
    sqlite3_stmt *st = store_sql(s, "SELECT " MESSAGE_COLS " FROM outbox WHERE customer = ?1 AND channel = 'counter'"
                              " AND status = 0 AND (expires = 0 OR expires > ?2) ORDER BY created, key LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, customer);
    sqlite3_bind_int64(st, 2, store_now(s));
    int rc = sql_row(s, st);
    if (rc <= 0)
        return rc;
    row_to_message(st, out);
    sqlite3_reset(st);
    if (consent_given(s, customer))
        return 1;
    struct store_msg_outcome o = { .status = MSG_SUPPRESSED, .reason = STORE_REASON_NO_CONSENT };
    return store_message_record(s, "", out->key, &o) == 0 ? 0 : -1;
}

/* --- a trigger's coupon ------------------------------------------------------ */

/* An offer setting is kept as "percent:20", "amount:1000" (minor units)
 * or "reward:<id>" ("" none), so renaming a reward changes nothing. What
 * a manager types is read by the campaigns' offer parser (campaigns.c):
 * one syntax for every offer, of which a message takes the coupons. */
int messages_offer_canonical(store *s, const char *key, const char *value, char *out, size_t outsz)
{
    static const char *const KIND[] = { [OFFER_PERCENT] = "percent", [OFFER_AMOUNT] = "amount" };
    struct store_offer o;
    out[0] = '\0';
    if (!*value || strcmp(value, "none") == 0)
        return 0;
    bool coupon = strncmp(value, "coupon:", 7) == 0 || strncmp(value, "reward:", 7) == 0;
    if (coupon && store_offer_parse(s, value, &o) != 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", store_error(s));
        return store_fail(s, "%s: %s", key, why);
    }
    if (!coupon || (o.kind != OFFER_PERCENT && o.kind != OFFER_AMOUNT && o.kind != OFFER_REWARD))
        return store_fail(s, _("%s: '%s' is not a coupon: give coupon:20%%, coupon:10.00, reward:NAME or none"), key, value);
    int64_t most = 1000000;     /* units off, as 'tally coupon issue' allows */
    for (int i = 0; i < s->digits; i++)
        most *= 10;
    if (o.kind == OFFER_AMOUNT && o.value > most)
        return store_fail(s, _("the amount off is too large"));
    if (o.kind == OFFER_REWARD)
        snprintf(out, outsz, "reward:%s", o.reward);
    else
        snprintf(out, outsz, "%s:%" PRId64, KIND[o.kind], o.value);
    return 0;
}

/* The canonical offer back into an offer; false when none. */
static bool offer_read(const char *canon, struct store_offer *o)
{
    const char *v = strchr(canon, ':') ? strchr(canon, ':') + 1 : "";
    memset(o, 0, sizeof *o);
    if (strncmp(canon, "percent:", 8) == 0)
        o->kind = OFFER_PERCENT;
    else if (strncmp(canon, "amount:", 7) == 0)
        o->kind = OFFER_AMOUNT;
    else if (strncmp(canon, "reward:", 7) == 0 && *v) {
        snprintf(o->reward, sizeof o->reward, "%s", v);
        o->kind = OFFER_REWARD;
        return true;
    }
    o->value = strtoll(v, NULL, 10);
    return o->kind != OFFER_NONE && o->value > 0;
}

void messages_offer_display(store *s, const char *canon, char *out, size_t outsz)
{
    struct store_offer o;
    if (offer_read(canon, &o))
        store_offer_code(s, &o, out, outsz);
    else
        snprintf(out, outsz, "%s", "");    /* as messages.sender with no till: nothing in any language */
}

/* from: the moment the coupon's days count from (the purchase that
 * fired its trigger, however late its note is drained). */
static bool offer_coupon_from(store *s, const char *canon, int64_t days, int64_t from, struct store_coupon *c)
{
    struct store_reward r;
    struct store_offer o;
    memset(c, 0, sizeof *c);
    if (!offer_read(canon, &o) || (o.kind == OFFER_REWARD && (store_reward_get(s, o.reward, &r) != 0 || r.retired)))
        return false;
    c->percent = o.kind == OFFER_PERCENT ? o.value : 0;
    c->discount = o.kind == OFFER_AMOUNT ? o.value : 0;
    snprintf(c->reward, sizeof c->reward, "%s", o.reward);
    /* Good to the end of the local day that many days on. */
    c->expires = day_start_local(day_start_local(from) + (days + 1) * DAY_MS + DAY_MS / 2) - 1;
    return true;
}

bool messages_offer_coupon(store *s, const char *canon, int64_t days, struct store_coupon *c)
{
    return offer_coupon_from(s, canon, days, store_now(s), c);
}

/* The personal coupon a trigger's occasion brings, if its offer is set:
 * issued under the occasion's own code, so however many tills fire the
 * occasion there is one coupon. A reward retired since the offer was set
 * gives none (the message still goes). */
static bool trigger_offer(store *s, int trigger, int64_t from, struct store_coupon *c)
{
    char canon[64], key[64];
    setting_text(s, TRIGGERS[trigger].offer, canon, sizeof canon);
    snprintf(key, sizeof key, "%s_days", TRIGGERS[trigger].offer);
    return offer_coupon_from(s, canon, setting_int(s, key), from, c);
}

static int occasion_coupon(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                           int64_t from, char code[16])
{
    struct store_coupon c;
    code[0] = '\0';
    if (!trigger_offer(s, trigger, from, &c))
        return 0;
    snprintf(c.customer, sizeof c.customer, "%s", customer);
    if (coupon_for_occasion(s, staff, occasion, &c) != 0)
        return -1;
    snprintf(code, 16, "%s", c.code);
    return 0;
}

/* --- firing ---------------------------------------------------------------- */

/* An occasion once held stays held (occasions are never deleted), so
 * the keys seen held are kept, one per slot by hash: a purchase asks for
 * its balance window and its tier year, held on nearly every purchase. */
#define HELD_SLOTS 256

void messages_held_drop(store *s)
{
    if (s->held)
        memset(s->held, 0, HELD_SLOTS * sizeof *s->held);
}

static bool occasion_held(store *s, const char *key)
{
    char *slot = NULL;
    if (s->held || (s->held = calloc(HELD_SLOTS, sizeof *s->held)) != NULL) {
        slot = s->held[id_hash(key) & (HELD_SLOTS - 1)];
        if (strcmp(slot, key) == 0)
            return true;
    }
    sqlite3_stmt *st = sql_keyed(s, "SELECT 1 FROM occasions WHERE key = ?1", key);
    if (!st)
        return true;    /* the caller's next write fails and says why */
    bool held = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    if (held && slot && strlen(key) < STORE_MSG_KEY_MAX)
        strcpy(slot, key);
    return held;
}

/* The channel a message goes by: e-mail or SMS where the customer agreed
 * to it and gave the address, else the counter; only those of channels
 * (STORE_CHANNEL_ bits; "" when none of them will do). Nothing at all
 * without the customer's marketing consent. */
static int pick_channel_of(store *s, const char *customer, int channels, char channel[8], char lang[3],
                           bool *allowed)
{
    struct store_contact k;
    if (store_customer_contact(s, customer, &k) != 0)
        return -1;
    snprintf(lang, 3, "%s", k.language);
    sqlite3_stmt *st = sql_keyed(s, "SELECT email <> '', phone <> '', consent FROM customers WHERE id = ?1 AND forgotten = 0",
                                 customer);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return store_fail(s, _("no such customer"));
    bool email = sqlite3_column_int(st, 0), phone = sqlite3_column_int(st, 1);
    *allowed = sqlite3_column_int(st, 2) != 0;
    snprintf(channel, 8, "%s", k.email && email && (channels & STORE_CHANNEL_EMAIL) ? "email"
                               : k.sms && phone && (channels & STORE_CHANNEL_SMS) ? "sms"
                               : channels & STORE_CHANNEL_COUNTER ? "counter" : "");
    return 0;
}

static int pick_channel(store *s, const char *customer, char channel[8], char lang[3], bool *allowed)
{
    return pick_channel_of(s, customer, STORE_CHANNELS_ALL, channel, lang, allowed);
}

/* Queues a message for an occasion not yet held here. vars: a JSON object
 * of the occasion's values; expires 0: messages.expire_days from now. */
static int queue(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                 const char *vars, int64_t expires, const char *channel, const char *lang, bool allowed);

/* from: the moment the occasion arose (its coupon's days count from it). */
static int fire_from(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                     const char *vars, int64_t expires, int64_t from)
{
    if (occasion_held(s, occasion))
        return 0;
    char channel[8], lang[3], code[16], with[768];
    bool allowed = false;
    if (pick_channel(s, customer, channel, lang, &allowed) != 0)
        return -1;
    /* The coupon is the customer's whatever becomes of the message: a
     * reward they earned, not marketing (README: a coupon without consent). */
    if (occasion_coupon(s, staff, customer, trigger, occasion, from, code) != 0)
        return -1;
    if (code[0]) {
        const char *v = vars && *vars ? vars : "{}";
        snprintf(with, sizeof with, "%.*s%s\"coupon\":\"%s\"}", (int)(strlen(v) - 1), v, strlen(v) > 2 ? "," : "", code);
        vars = with;
    }
    return queue(s, staff, customer, trigger, occasion, vars, expires, channel, lang, allowed);
}

static int fire(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                const char *vars, int64_t expires)
{
    return fire_from(s, staff, customer, trigger, occasion, vars, expires, store_now(s));
}

int messages_queue_campaign(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                            const char *vars, int64_t expires, int channels)
{
    char channel[8], lang[3];
    bool allowed = false;
    if (trigger < 0)
        return store_fail(s, _("no such message template"));
    if (occasion_held(s, occasion))
        return 0;
    if (pick_channel_of(s, customer, channels, channel, lang, &allowed) != 0)
        return -1;
    /* No consent, or none of the campaign's channels: no message at all. */
    return allowed && channel[0] ? queue(s, staff, customer, trigger, occasion, vars, expires, channel, lang, true) : 0;
}

static int queue(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                 const char *vars, int64_t expires, const char *channel, const char *lang, bool allowed)
{
    if (!expires)
        expires = store_now(s) + setting_int(s, "messages.expire_days") * DAY_MS;
    struct store_event ev;
    event_init(&ev, "message", staff, customer);
    snprintf(ev.occasion, sizeof ev.occasion, "%s", occasion);
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, "status", "queued");
    jb_key_str(&jb, "trigger", TRIGGERS[trigger].name);
    jb_key_str(&jb, "channel", channel);
    jb_key_str(&jb, "lang", lang);
    jb_key_int(&jb, "expires", expires);
    jb_key(&jb, "vars");
    jb_raw(&jb, vars && *vars ? vars : "{}");
    jb_obj_end(&jb);
    if (jb_take(s, &jb, ev.data) != 0 || event_append(s, &ev) != 0)
        return -1;
    if (allowed)
        return 0;
    struct store_msg_outcome o = { .status = MSG_SUPPRESSED, .reason = STORE_REASON_NO_CONSENT };
    return messages_record_tx(s, staff, occasion, &o);
}

static bool trigger_on(store *s, int trigger)
{
    return setting_int(s, TRIGGERS[trigger].setting) > 0;
}

int messages_on_enrol(store *s, const char *staff, const char *customer)
{
    if (!trigger_on(s, TRIG_WELCOME))
        return 0;
    char key[STORE_MSG_KEY_MAX];
    snprintf(key, sizeof key, "msg:welcome:%s", customer);
    return fire(s, staff, customer, TRIG_WELCOME, key, NULL, 0);
}

/* The rewards of the catalog whose price this purchase reached: a reward
 * in points when the balance was below its price and now is not, one in
 * stamps likewise (a stamp card filling up). One query that finds none on
 * almost every purchase, so the trigger costs the counter little: it
 * compares in SQL rather than reading the customer and the whole catalog. */
struct crossed {
    char id[STORE_ID_LEN + 1], name[STORE_TEXT_MAX * 4 + 1], key[STORE_TEXT_MAX * 4 + 1];
    int64_t points, stamps;
};

/* Points rewards first, then stamp cards; each by price, then name. */
static int crossed_order(const void *a, const void *b)
{
    const struct crossed *x = a, *y = b;
    if ((x->stamps > 0) != (y->stamps > 0))
        return (x->stamps > 0) - (y->stamps > 0);
    if (x->points != y->points)
        return x->points < y->points ? -1 : 1;
    if (x->stamps != y->stamps)
        return x->stamps < y->stamps ? -1 : 1;
    return strcmp(x->key, y->key);
}

static int rewards_crossed(store *s, const struct store_customer *was, struct crossed out[8])
{
    /* Sorted here, not by ORDER BY: a sorter costs the query more than
     * the none or few rows it finds. */
    sqlite3_stmt *st = store_sql(s, "SELECT r.id, r.name, r.name_key, r.points, r.stamps FROM customers c"
                              " JOIN rewards r ON r.retired = 0 AND r.name <> '' AND"
                              " CASE WHEN r.points > 0 THEN ?2 < r.points AND c.points >= r.points"
                              " ELSE r.stamps > 0 AND ?3 < r.stamps AND c.stamps >= r.stamps END"
                              " WHERE c.id = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, was->id);
    sqlite3_bind_int64(st, 2, was->points);
    sqlite3_bind_int64(st, 3, was->stamps);
    int n = 0, rc;
    struct crossed row;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        copy_col(st, 0, row.id, sizeof row.id);
        copy_col(st, 1, row.name, sizeof row.name);
        copy_col(st, 2, row.key, sizeof row.key);
        row.points = sqlite3_column_int64(st, 3);
        row.stamps = sqlite3_column_int64(st, 4);
        /* Kept in order, the first eight of however many. */
        int at = n;
        while (at > 0 && crossed_order(&row, &out[at - 1]) < 0)
            at--;
        if (at == 8)
            continue;
        memmove(&out[at + 1], &out[at], (size_t)((n < 8 ? n : 7) - at) * sizeof out[0]);
        out[at] = row;
        n += n < 8;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(s);
    return n;
}

/* Whether a reward's price may lie in (was, was + gain], in points or in
 * stamps: false only when none can, so the purchase crossed none and the
 * query is spared. The prices are read once and kept with the settings
 * (a reward event, a rollback or another connection's commit drops them). */
static bool reward_in_reach(store *s, const struct store_customer *was, int64_t gain_points, int64_t gain_stamps)
{
    struct settings_cache *k = &s->settings;
    if (s->tx_depth == 0)
        return true;
    if (!k->prices_loaded) {
        sqlite3_stmt *st = store_sql(s, "SELECT points, stamps FROM rewards WHERE retired = 0 AND name <> ''");
        if (!st)
            return true;
        int rc;
        k->nprices = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (k->nprices == (int)(sizeof k->price / sizeof k->price[0])) {
                k->nprices = -1;
                rc = SQLITE_DONE;
                break;
            }
            k->price[k->nprices].points = sqlite3_column_int64(st, 0);
            k->price[k->nprices++].stamps = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return true;    /* the query says (rewards_crossed) */
        k->prices_loaded = true;
    }
    if (k->nprices < 0)
        return true;
    for (int i = 0; i < k->nprices; i++) {
        int64_t p = k->price[i].points, t = k->price[i].stamps;
        if (p > 0 ? was->points < p && p - was->points <= gain_points
                  : t > 0 && was->stamps < t && t - was->stamps <= gain_stamps)
            return true;
    }
    return false;
}

/* The start of the local day: a day's purchases ask it once (a local
 * time conversion each costs the counter more than the trigger's query). */
static int64_t today_local(store *s)
{
    int64_t now = store_now(s);
    if (now < s->today_from || now >= s->today_to) {
        s->today_from = day_start_local(now);
        s->today_to = day_start_local(s->today_from + DAY_MS + DAY_MS / 2);    /* a day of 23 or 25 hours too */
    }
    return s->today_from;
}

/* What a purchase's trigger found, kept as a note of this till in the
 * sale's own transaction: the occasion, the customer and the values the
 * message needs. The message and its coupon are two signed events with
 * all they derive, twice the sale's own cost, so they are written by
 * store_message_drain in a transaction of their own, after the sale. An
 * occasion held already, or noted by an earlier purchase not yet
 * drained, is not noted again (the caller looks whether it is held;
 * the key is the note's). */
static int note(store *s, const char *staff, const char *customer, int trigger, const char *occasion,
                const char *vars)
{
    sqlite3_stmt *st = store_sql(s, "INSERT OR IGNORE INTO trigger_notes(key, customer, trig, staff, at, vars)"
                                    " VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    if (!st)
        return -1;
    bind_text(st, 1, occasion);
    bind_text(st, 2, customer);
    sqlite3_bind_int(st, 3, trigger);
    bind_text(st, 4, staff);
    sqlite3_bind_int64(st, 5, store_now(s));
    bind_text(st, 6, vars);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* The notes a drain takes in one transaction: the counter waits for the
 * write lock meanwhile, so a long queue goes in several. */
#define DRAIN_BATCH 64

struct noted {
    char key[STORE_MSG_KEY_MAX], customer[STORE_ID_LEN + 1], staff[STORE_ID_LEN + 1], vars[1024];
    int trigger;
    int64_t at;
};

/* One transaction: up to DRAIN_BATCH notes become their messages (the
 * occasion keeps each once, whichever till fires it too) and are deleted
 * with them, so a crash on either side of the commit loses and doubles
 * nothing. Returns how many notes it took, or -1. */
static int drain_batch(store *s)
{
    if (tx_begin(s) != 0)
        return -1;
    int n = 0;
    for (; n < DRAIN_BATCH; n++) {
        sqlite3_stmt *st = store_sql(s, "SELECT key, customer, trig, staff, at, vars FROM trigger_notes"
                                        " ORDER BY at, key LIMIT 1");
        if (!st)
            goto fail;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            sqlite3_reset(st);
            if (rc == SQLITE_DONE)
                break;
            db_fail(s);
            goto fail;
        }
        struct noted x;
        copy_col(st, 0, x.key, sizeof x.key);
        copy_col(st, 1, x.customer, sizeof x.customer);
        x.trigger = sqlite3_column_int(st, 2);
        copy_col(st, 3, x.staff, sizeof x.staff);
        x.at = sqlite3_column_int64(st, 4);
        copy_col(st, 5, x.vars, sizeof x.vars);
        sqlite3_reset(st);
        /* Forgotten since the purchase: nothing goes to them. The message
         * expires as it would have, counted from the purchase. */
        if (x.trigger >= 0 && x.trigger < TRIG_COUNT && !forgotten(s, x.customer) &&
            fire_from(s, x.staff, x.customer, x.trigger, x.key, x.vars,
                      x.at + setting_int(s, "messages.expire_days") * DAY_MS, x.at) != 0)
            goto fail;
        if (!(st = store_sql(s, "DELETE FROM trigger_notes WHERE key = ?1")))
            goto fail;
        bind_text(st, 1, x.key);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(s);
            goto fail;
        }
    }
    return tx_commit(s) == 0 ? n : -1;
fail:
    tx_rollback(s);
    return -1;
}

int store_message_drain(store *s, int64_t settled_ms, int *drained)
{
    if (drained)
        *drained = 0;
    for (;;) {
        /* A look first, without the write lock: nearly always none; in a
         * snapshot of now, not of a statement left open. */
        store_release(s);
        sqlite3_stmt *st = store_sql(s, "SELECT 1 FROM trigger_notes WHERE at <= ?1 LIMIT 1");
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, store_now(s) - settled_ms);
        settled_ms = 0;     /* one old enough: all of them */
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return 0;
        if (rc != SQLITE_ROW)
            return db_fail(s);
        int n = drain_batch(s);
        if (n < 0)
            return -1;
        if (drained)
            *drained += n;
        if (n == 0)
            return 0;
    }
}

/* A tier's occasion, noted unless held: {field: tier} and the spend
 * still to go (to_next, 0: none). */
static int note_tier(store *s, const char *staff, const char *id, int trigger, const char *key,
                     const char *field, const char *tier, int64_t to_next)
{
    if (occasion_held(s, key))
        return 0;
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    jb_key_str(&jb, field, tier);
    if (to_next > 0) {
        jb_key_int(&jb, "to_next", to_next);
    }
    jb_obj_end(&jb);
    int rc = jb_result(&jb) ? note(s, staff, id, trigger, key, jb_result(&jb)) : -1;
    jb_free(&jb);
    return rc;
}

int messages_on_earn(store *s, const char *staff, const struct store_customer *was,
                     const struct store_tier_status *before, const struct store_tier_status *after,
                     int64_t gain_points, int64_t gain_stamps, const char *earn_ref)
{
    int64_t close = setting_int(s, TRIGGERS[TRIG_TIER_CLOSE].setting);
    int64_t every = setting_int(s, TRIGGERS[TRIG_BALANCE].setting);
    bool reward = trigger_on(s, TRIG_REWARD), tier = trigger_on(s, TRIG_TIER);
    if (!reward && !tier && close <= 0 && every <= 0)
        return 0;
    const char *id = was->id;
    char key[STORE_MSG_KEY_MAX];
    int year = 0;
    if (reward && reward_in_reach(s, was, gain_points, gain_stamps)) {
        /* The purchase that brings the balance to a reward's price tells:
         * each time a stamp card fills, once per purchase (the key names
         * the purchase: never held before). */
        struct crossed got[8];
        int n = rewards_crossed(s, was, got);
        if (n < 0)
            return -1;
        for (int i = 0; i < n; i++) {
            struct jbuf jb;
            jb_init(&jb);
            jb_obj_begin(&jb);
            jb_key_str(&jb, "reward", got[i].name);
            jb_obj_end(&jb);
            snprintf(key, sizeof key, "msg:reward:%s:%.*s:%s", id, STORE_ID_LEN, got[i].id, earn_ref);
            int rc = jb_result(&jb) ? note(s, staff, id, TRIG_REWARD, key, jb_result(&jb)) : -1;
            jb_free(&jb);
            if (rc != 0)
                return -1;
        }
    }
    /* Each occasion's key is looked up before its values are put
     * together: on most purchases it is held already (a tier's year, the
     * balance's window). */
    bool up = tier && strcmp(before->tier, after->tier) != 0 && after->tier[0];
    bool near = close > 0 && after->next[0] && after->to_next > 0 &&
                after->window_spend * 100 >= close * (after->window_spend + after->to_next);
    if (up || near)
        local_date(store_now(s), &year, NULL, NULL, NULL, NULL);
    if (up) {
        snprintf(key, sizeof key, "msg:tier:%s:%d:%d", id, after->tier_at, year);
        if (note_tier(s, staff, id, TRIG_TIER, key, "tier", after->tier, 0) != 0)
            return -1;
    }
    if (near) {
        snprintf(key, sizeof key, "msg:tier-close:%s:%d:%d", id, after->next_at, year);
        if (note_tier(s, staff, id, TRIG_TIER_CLOSE, key, "next_tier", after->next, after->to_next) != 0)
            return -1;
    }
    if (every > 0) {
        /* At most once per window of messages.balance_days local days,
         * the same windows on every till; it shows the balance as it is
         * when it goes. */
        snprintf(key, sizeof key, "msg:balance:%s:%" PRId64, id, today_local(s) / DAY_MS / every);
        if (!occasion_held(s, key) && note(s, staff, id, TRIG_BALANCE, key, "{}") != 0)
            return -1;
    }
    return 0;
}

/* --- the time-based triggers ------------------------------------------------ */

struct candidate {
    char id[STORE_ID_LEN + 1];
    int64_t a, b, c;        /* per trigger: days and year; last visit; years, year, days left */
};

struct candidates {
    struct candidate *v;
    size_t n, cap;
    bool oom;
};

static struct candidate *candidate_add(struct candidates *c, const char *id)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 256;
        struct candidate *v = realloc(c->v, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return NULL;
        }
        c->v = v;
        c->cap = cap;
    }
    struct candidate *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", id);
    return x;
}

/* Days from today to the next birthday (0: today) and its year, or -1. */
static int days_to_birthday(const char *birthday, int64_t now, int *year)
{
    int m, d, ty, tm, td;
    if (strlen(birthday) < 5 || sscanf(birthday + strlen(birthday) - 5, "%d-%d", &m, &d) != 2)
        return -1;
    local_date(now, &ty, &tm, &td, NULL, NULL);
    int64_t today = days_from_civil(ty, tm, td);
    for (int y = ty; y <= ty + 1; y++) {
        int dd = m == 2 && d == 29 && !is_leap_year(y) ? 28 : d;
        int64_t diff = days_from_civil(y, m, dd) - today;
        if (diff >= 0) {
            *year = y;
            return (int)diff;
        }
    }
    return -1;
}

/* The anniversary of a first visit at first_ms that fell in the last 7
 * days (today included): 1 with how many years, its year and the days
 * from today to the end of its week (1 to 7), else 0. */
static int anniversary_this_week(int64_t first_ms, int64_t now, int64_t *years, int64_t *year, int64_t *left)
{
    int fy, fm, fd, ty, tm, td;
    local_date(first_ms, &fy, &fm, &fd, NULL, NULL);
    local_date(now, &ty, &tm, &td, NULL, NULL);
    int64_t today = days_from_civil(ty, tm, td);
    for (int y = ty; y >= ty - 1; y--) {
        int d = fm == 2 && fd == 29 && !is_leap_year(y) ? 28 : fd;
        int64_t on = days_from_civil(y, fm, d);
        if (on <= today && today - on < 7 && y > fy) {
            *years = y - fy;
            *year = y;
            *left = on + 7 - today;
            return 1;
        }
    }
    return 0;
}

static int collect_winback(const struct store_member_row *m, void *arg)
{
    struct candidate *x = candidate_add(arg, m->id);
    if (x)
        x->b = m->last_visit;
    return x ? 0 : -1;
}

/* The members a time-based trigger looks at: one (by the primary key:
 * the kiosk asks at each scan) or all, each with its own query. */
static sqlite3_stmt *scan_query(store *s, const char *customer, const char *one, const char *all)
{
    sqlite3_stmt *st = customer ? store_sql(s, one) : store_sql(s, all);
    if (st && customer)
        bind_text(st, 1, customer);
    return st;
}

/* The members to look at, read before the write transaction (the
 * segments come from the reports' own rules, in a read snapshot). */
static int scan_collect(store *s, const char *customer, struct candidates *bday, struct candidates *exp,
                        struct candidates *back, struct candidates *anniv)
{
    int64_t now = store_now(s);
    sqlite3_stmt *st;
    if (trigger_on(s, TRIG_BIRTHDAY)) {
        int64_t ahead = setting_int(s, "messages.birthday_days");
        st = scan_query(s, customer, "SELECT id, birthday FROM customers WHERE id = ?1 AND birthday <> ''"
                                     " AND forgotten = 0 AND enrolled > 0",
                        "SELECT id, birthday FROM customers WHERE birthday <> '' AND forgotten = 0 AND enrolled > 0");
        if (!st)
            return -1;
        while (sqlite3_step(st) == SQLITE_ROW) {
            int year, days = days_to_birthday((const char *)sqlite3_column_text(st, 1), now, &year);
            struct candidate *x = days >= 0 && days <= ahead ? candidate_add(bday, (const char *)sqlite3_column_text(st, 0)) : NULL;
            if (x) {
                x->a = days;
                x->b = year;
            }
        }
        sqlite3_reset(st);
    }
    if (trigger_on(s, TRIG_EXPIRING) && setting_int(s, "points.expire_days") > 0) {
        st = scan_query(s, customer, "SELECT id FROM customers WHERE id = ?1 AND points > 0 AND forgotten = 0"
                                     " AND enrolled > 0",
                        "SELECT id FROM customers WHERE points > 0 AND forgotten = 0 AND enrolled > 0");
        if (!st)
            return -1;
        while (sqlite3_step(st) == SQLITE_ROW)
            candidate_add(exp, (const char *)sqlite3_column_text(st, 0));
        sqlite3_reset(st);
    }
    if (trigger_on(s, TRIG_ANNIVERSARY)) {
        st = scan_query(s, customer, "SELECT id, first_visit FROM customers WHERE id = ?1 AND first_visit > 0"
                                     " AND forgotten = 0 AND enrolled > 0",
                        "SELECT id, first_visit FROM customers WHERE first_visit > 0 AND forgotten = 0"
                        " AND enrolled > 0");
        if (!st)
            return -1;
        while (sqlite3_step(st) == SQLITE_ROW) {
            int64_t years, year, left;
            if (!anniversary_this_week(sqlite3_column_int64(st, 1), now, &years, &year, &left))
                continue;
            struct candidate *x = candidate_add(anniv, (const char *)sqlite3_column_text(st, 0));
            if (x) {
                x->a = years;
                x->b = year;
                x->c = left;
            }
        }
        sqlite3_reset(st);
    }
    if (trigger_on(s, TRIG_WINBACK) && !customer) {
        struct store_report_query q = { .till = NULL };
        if (store_period_day(s, NULL, &q.period) != 0 ||
            store_report_segment_members(s, &q, SEG_AT_RISK, 0, collect_winback, back) != 0 ||
            store_report_segment_members(s, &q, SEG_LAPSED, 0, collect_winback, back) != 0)
            return -1;
    }
    return bday->oom || exp->oom || back->oom || anniv->oom ? store_fail(s, _("out of memory")) : 0;
}

static int fire_one_value(store *s, const char *staff, const char *id, int trigger, const char *key,
                          const char *name, int64_t v, const char *name2, int64_t v2, int64_t expires)
{
    char vars[128];
    if (name2)
        snprintf(vars, sizeof vars, "{\"%s\":%" PRId64 ",\"%s\":%" PRId64 "}", name, v, name2, v2);
    else
        snprintf(vars, sizeof vars, "{\"%s\":%" PRId64 "}", name, v);
    return fire(s, staff, id, trigger, key, vars, expires);
}

static int scan_tx(store *s, const char *staff, const char *customer, const struct candidates *bday,
                   const struct candidates *exp, const struct candidates *back,
                   const struct candidates *anniv, int *queued)
{
    int64_t now = store_now(s), first = store_max_seq(s, s->origin);
    char key[STORE_MSG_KEY_MAX];
    /* Waiting too long: a birthday offer not sent by the birthday is
     * dropped, not sent late. */
    sqlite3_stmt *st = store_sql(s, "SELECT key, tries FROM outbox WHERE status IN (0, 1) AND expires > 0 AND expires <= ?1"
                              " AND trig <> '' AND (?2 = '' OR customer = ?2) LIMIT 1");
    for (;;) {
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, now);
        bind_text(st, 2, customer ? customer : "");
        if (sqlite3_step(st) != SQLITE_ROW)
            break;
        copy_col(st, 0, key, sizeof key);
        struct store_msg_outcome o = { .status = MSG_EXPIRED, .reason = STORE_REASON_UNSENT,
                                       .tries = sqlite3_column_int(st, 1) };
        sqlite3_reset(st);
        if (messages_record_tx(s, staff, key, &o) != 0)
            return -1;
        st = store_sql(s, "SELECT key, tries FROM outbox WHERE status IN (0, 1) AND expires > 0 AND expires <= ?1"
                    " AND trig <> '' AND (?2 = '' OR customer = ?2) LIMIT 1");
    }
    sqlite3_reset(st);
    int64_t today = day_start_local(now);
    for (size_t i = 0; i < bday->n; i++) {
        const struct candidate *x = &bday->v[i];
        snprintf(key, sizeof key, "msg:birthday:%s:%" PRId64, x->id, x->b);
        /* Good until the end of the birthday. */
        if (fire_one_value(s, staff, x->id, TRIG_BIRTHDAY, key, "days", x->a, NULL, 0,
                           today + (x->a + 1) * DAY_MS) != 0)
            return -1;
    }
    int64_t ahead = setting_int(s, "messages.expiring_days"), keep = setting_int(s, "points.expire_days");
    for (size_t i = 0; i < exp->n; i++) {
        int64_t due;
        if (points_due(s, exp->v[i].id, now + (ahead - keep) * DAY_MS, &due) != 0)
            return -1;
        if (due <= 0)
            continue;
        /* Once per messages.expiring_days at most, the same window on
         * every till. */
        snprintf(key, sizeof key, "msg:expiring:%s:%" PRId64, exp->v[i].id, today / DAY_MS / (ahead > 0 ? ahead : 1));
        if (fire_one_value(s, staff, exp->v[i].id, TRIG_EXPIRING, key, "expiring", due, "days", ahead,
                           now + ahead * DAY_MS) != 0)
            return -1;
    }
    for (size_t i = 0; i < back->n; i++) {
        const struct candidate *x = &back->v[i];
        /* One per absence: the last visit names it. */
        snprintf(key, sizeof key, "msg:winback:%s:%" PRId64, x->id, x->b / DAY_MS);
        if (fire_one_value(s, staff, x->id, TRIG_WINBACK, key, "days", x->b ? (now - x->b) / DAY_MS : 0, NULL, 0, 0) != 0)
            return -1;
    }
    for (size_t i = 0; i < anniv->n; i++) {
        const struct candidate *x = &anniv->v[i];
        snprintf(key, sizeof key, "msg:anniversary:%s:%" PRId64, x->id, x->b);
        /* Good for the week from the day: not sent later than that (the
         * midnight x->c days on; noon steps over a change of clocks). */
        int64_t until = day_start_local(today + x->c * DAY_MS + DAY_MS / 2);
        if (fire_one_value(s, staff, x->id, TRIG_ANNIVERSARY, key, "years", x->a, NULL, 0, until) != 0)
            return -1;
    }
    if (queued) {
        st = sql_event(s, "SELECT count(*) FROM events WHERE type = 'message' AND occasion <> ''"
                    " AND origin = ?1 AND seq > ?2", s->origin, first);
        if (!st)
            return -1;
        *queued = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    }
    return 0;
}

int store_message_scan(store *s, const char *staff, const char *customer, int *queued)
{
    struct candidates bday = { 0 }, exp = { 0 }, back = { 0 }, anniv = { 0 };
    if (queued)
        *queued = 0;
    if (staff && *staff && require_staff(s, staff) != 0)
        return -1;
    int rc = scan_collect(s, customer, &bday, &exp, &back, &anniv);
    if (rc == 0 && (rc = tx_begin(s)) == 0) {
        rc = scan_tx(s, staff ? staff : "", customer, &bday, &exp, &back, &anniv, queued);
        if (rc == 0)
            rc = tx_commit(s);
        else
            tx_rollback(s);
    }
    free(bday.v);
    free(exp.v);
    free(back.v);
    free(anniv.v);
    return rc;
}

/* --- rendering ------------------------------------------------------------- */

struct values {
    char v[14][256];            /* STORE_PLACEHOLDERS order */
};

/* A coupon's line, added to a message that brings one when its template
 * does not say {coupon} itself, in STORE_MSG_LANGS order: the customer's
 * language, so data here rather than gettext messages. */
static const char *const COUPON_LINE[4] = {
    "Your coupon {coupon}: {coupon_offer}, valid until {coupon_expires}.",
    "Twój kupon {coupon}: {coupon_offer}, ważny do {coupon_expires}.",
    "Cuponul tău {coupon}: {coupon_offer}, valabil până la {coupon_expires}.",
    "Kuponod: {coupon} ({coupon_offer}), érvényes eddig: {coupon_expires}",   /* the date ends in a dot */
};
/* What a coupon gives, in the same order: %s an amount or a percentage. */
static const char *const COUPON_OFF[4] = { "%s off", "%s zniżki", "reducere de %s", "%s kedvezmény" };

static void messages_fill(const char *tmpl, const struct values *val, char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = tmpl; *p && n + 1 < outsz;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        int k = -1;
        for (int i = 0; end && STORE_PLACEHOLDERS[i]; i++)
            if (strlen(STORE_PLACEHOLDERS[i]) == (size_t)(end - p - 1) &&
                memcmp(STORE_PLACEHOLDERS[i], p + 1, (size_t)(end - p - 1)) == 0)
                k = i;
        if (k >= 0) {
            n += (size_t)snprintf(out + n, outsz - n, "%s", val->v[k]);
            if (n >= outsz)
                n = outsz - 1;
            p = end + 1;
        } else {
            out[n++] = *p++;
            out[n] = '\0';
        }
    }
    /* Cut inside a character: drop the partial one. */
    while (n > 0 && !utf8_valid(out, n))
        out[--n] = '\0';
}

int store_message_coupon(store *s, const struct store_message *m, struct store_coupon *out)
{
    char code[16] = "";
    sqlite3_stmt *st = sql_keyed(s, "SELECT json_extract(?1, '$.coupon')", m->vars[0] ? m->vars : "{}");
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        copy_col(st, 0, code, sizeof code);
    sqlite3_reset(st);
    return code[0] && store_coupon_get(s, code, out) == 0 ? 1 : 0;
}

/* {coupon}, {coupon_expires} and {coupon_offer} of the coupon a message
 * brings, as the coupon stands now (the same at every till). */
static void coupon_values(store *s, const char *vars, const struct store_coupon *sample, const char *lang,
                          struct values *val)
{
    char off[MONEY_BUFSZ];
    struct store_coupon c;
    struct store_reward r;
    struct store_message msg = { .vars = "" };
    snprintf(msg.vars, sizeof msg.vars, "%s", vars ? vars : "");
    if (sample)
        c = *sample;
    else if (store_message_coupon(s, &msg, &c) != 1)
        return;
    int y, m, d;
    snprintf(val->v[11], sizeof val->v[11], "%.4s-%.4s", c.code, c.code + 4);
    local_date(c.expires, &y, &m, &d, NULL, NULL);
    date_format(y, m, d, lang, val->v[12], sizeof val->v[12]);
    if (c.reward[0]) {
        snprintf(val->v[13], sizeof val->v[13], "%.255s", store_reward_get(s, c.reward, &r) == 0 ? r.name : c.reward);
        for (size_t n = strlen(val->v[13]); n > 0 && !utf8_valid(val->v[13], n); n--)
            val->v[13][n - 1] = '\0';     /* a long name cut inside a character */
        return;
    }
    if (c.percent)
        percent_format(c.percent, 0, lang, off, sizeof off);
    else
        money_format(c.discount, store_currency(s), lang, off, sizeof off);
    snprintf(val->v[13], sizeof val->v[13], COUPON_OFF[lang_index(lang)], off);
}

static void values_for(store *s, const char *customer, const char *vars, const struct store_coupon *sample,
                       const char *lang, struct values *val)
{
    memset(val, 0, sizeof *val);
    struct store_customer c;
    if (customer && store_customer_get(s, customer, &c) == 0 && !c.forgotten) {
        snprintf(val->v[0], sizeof val->v[0], "%.*s", (int)strcspn(c.name, " "), c.name);
        snprintf(val->v[2], sizeof val->v[2], "%" PRId64, c.points);
        snprintf(val->v[3], sizeof val->v[3], "%" PRId64, c.stamps);
    } else if (!customer) {     /* a preview */
        snprintf(val->v[0], sizeof val->v[0], "%s", "Anna");
        snprintf(val->v[2], sizeof val->v[2], "%s", "120");
        snprintf(val->v[3], sizeof val->v[3], "%s", "7");
    }
    snprintf(val->v[1], sizeof val->v[1], "%s", store_shop_name(s));
    sqlite3_stmt *st = sql_keyed(s, "SELECT json_extract(?1, '$.reward'), json_extract(?1, '$.tier'),"
                              " json_extract(?1, '$.next_tier'), json_extract(?1, '$.to_next'),"
                              " json_extract(?1, '$.days'), json_extract(?1, '$.expiring'), json_extract(?1, '$.years')",
                                 vars && *vars ? vars : "{}");
    if (!st)
        return;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return;
    }
    copy_col(st, 0, val->v[4], sizeof val->v[4]);
    copy_col(st, 1, val->v[5], sizeof val->v[5]);
    copy_col(st, 2, val->v[6], sizeof val->v[6]);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
        money_format(sqlite3_column_int64(st, 3), store_currency(s), lang, val->v[7], sizeof val->v[7]);
    copy_col(st, 4, val->v[8], sizeof val->v[8]);
    copy_col(st, 5, val->v[9], sizeof val->v[9]);
    copy_col(st, 6, val->v[10], sizeof val->v[10]);
    sqlite3_reset(st);
    coupon_values(s, vars, sample, lang, val);
}

/* sample: the coupon a preview shows, or NULL (the message's own). */
static int messages_render(store *s, int trigger, const char *lang, const char *customer, const char *vars,
                  const struct store_coupon *sample, struct store_rendered *out)
{
    char subject[STORE_RENDER_MAX / 4], body[STORE_RENDER_MAX];
    if (store_template_get(s, trigger, lang, subject, sizeof subject, body, sizeof body, NULL) != 0)
        return -1;
    struct values val;
    values_for(s, customer, vars, sample, lang, &val);
    /* A message that brings a coupon says so, whatever its template. */
    if (val.v[11][0] && !strstr(body, "{coupon}"))
        snprintf(body + strlen(body), sizeof body - strlen(body), "%s%s", body[0] ? " " : "",
                 COUPON_LINE[lang_index(lang)]);
    messages_fill(subject, &val, out->subject, sizeof out->subject);
    messages_fill(body, &val, out->body, sizeof out->body);
    return 0;
}

int store_message_render(store *s, const struct store_message *m, struct store_rendered *out)
{
    /* The customer's language as it is now: they may have changed it
     * since the message was queued. */
    struct store_contact k;
    if (store_customer_contact(s, m->customer, &k) != 0)
        return -1;
    const char *lang = k.language_set ? k.language : store_msg_lang_known(m->lang) ? m->lang : "en";
    return messages_render(s, store_trigger_parse(m->trigger), lang, m->customer, m->vars, NULL, out);
}

int store_template_preview(store *s, int trigger, const char *lang, const char *customer,
                           struct store_rendered *out)
{
    /* Sample values for what the occasion would say. */
    static const char SAMPLE[] = "{\"reward\":\"Free coffee\",\"tier\":\"Gold\",\"next_tier\":\"Gold\","
                                 "\"to_next\":4000,\"days\":3,\"expiring\":120,\"years\":2}";
    /* With the trigger's offer as set now, under a made-up code. */
    struct store_coupon c;
    bool offer = trigger >= 0 && trigger < TRIG_COUNT && trigger_offer(s, trigger, store_now(s), &c);
    if (offer)
        memcpy(c.code, "K7QM2XD9", 9);
    return messages_render(s, trigger, lang, customer, SAMPLE, offer ? &c : NULL, out);
}
