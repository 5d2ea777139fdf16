/* run.c - the messenger's loop: work through the outbox's e-mail and SMS
 * messages on the shop's sender till.
 *
 * A pass takes the messages whose turn has come and decides for each:
 * dropped (expired), suppressed (no consent, opted out of the channel,
 * no address, the weekly cap), waiting (quiet hours, the channel not set
 * up, no network) or to be sent. Those to be sent are first recorded as
 * "being sent" in one transaction, then sent one by one (each asked
 * again right before it goes, so an opt-out that syncd applied a moment
 * ago is heeded), and their outcomes recorded - with the batch's
 * suppressions and expiries, and the in-flight note cleared - in a
 * second transaction:
 * sent; retrying with the reason and a back-off that doubles each try;
 * failed after messages.max_tries. A message still in flight when a pass
 * starts was interrupted (kill -9, power cut) after it may have gone: it
 * goes again with the same Message-ID and is recorded as sent after an
 * interrupted attempt (at-least-once, never a silent duplicate). The note
 * is local, not an event: a replicated "being sent" event per message
 * would double the ledger's work per message.
 *
 * No network (the server's name does not resolve) is no one message's
 * fault: messages wait without using up their tries, and the channel is
 * probed with one message at a growing interval (at most 10 minutes), so
 * a week offline costs a few events an hour and the kiosk never notices. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define BATCH 50                    /* messages per in-flight list and outcome transaction */
#define PASS_MAX 500                /* due messages read per pass */
#define PROBE_MAX_MS (10 * 60000)   /* longest wait between probes when offline */
#define BACKOFF_MAX_MS ((int64_t)86400000)
#define MIME_MAX 16384

enum channel { CH_EMAIL, CH_SMS, CH_COUNT };

struct messenger {
    store *s;
    const struct messenger_config *cfg;
    const struct messenger_options *o;
    struct transport t;
    char shop_id[STORE_SHOP_ID_LEN + 1];
    int64_t offline_until[CH_COUNT], offline_wait[CH_COUNT];
    bool warned_unset[CH_COUNT], warned_quiet, warned_sender;
    /* The pass's messages and outcomes. */
    struct store_message *due;
    int n, cap;
    struct outcome {
        char key[STORE_MSG_KEY_MAX];
        struct store_msg_outcome o;
        char reason[256], recipient[256], message_id[128];
    } *out;
    int nout;
    char *mime;
    char *interrupted;              /* keys in flight when a pass began, one per line */
};

static int collect(const struct store_message *m, void *arg)
{
    struct messenger *x = arg;
    if (x->n == x->cap) {
        int cap = x->cap ? 2 * x->cap : 64;
        struct store_message *v = realloc(x->due, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        x->due = v;
        x->cap = cap;
    }
    x->due[x->n++] = *m;
    return 0;
}

static enum channel channel_of(const struct store_message *m)
{
    return strcmp(m->channel, "sms") == 0 ? CH_SMS : CH_EMAIL;
}

static bool channel_set_up(const struct messenger *x, enum channel ch)
{
    return ch == CH_EMAIL ? x->cfg->smtp_host[0] != '\0' : x->cfg->sms_url[0] != '\0';
}

/* An outcome to record; its texts are copied. */
static struct outcome *outcome_add(struct messenger *x, const struct store_message *m, int status, const char *reason,
                           int tries)
{
    struct outcome *r = &x->out[x->nout++];
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "%s", m->key);
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    r->o.status = status;
    r->o.tries = tries;
    return r;
}

static int flush(struct messenger *x)
{
    if (x->nout == 0)
        return 0;
    const char *keys[2 * BATCH + PASS_MAX];
    struct store_msg_outcome o[2 * BATCH + PASS_MAX];
    for (int i = 0; i < x->nout; i++) {
        keys[i] = x->out[i].key;
        o[i] = x->out[i].o;
        o[i].reason = x->out[i].reason;
        o[i].recipient = x->out[i].recipient;
        o[i].message_id = x->out[i].message_id;
    }
    int rc = store_message_record_many(x->s, keys, o, x->nout);
    x->nout = 0;
    return rc;
}

static void run_say(struct messenger *x, const struct store_message *m, const char *what)
{
    fprintf(x->o->out, "%s  %s %s: %s\n", m->key, m->channel, m->trigger, what);
    fflush(x->o->out);
}

static bool address_ok(const char *a, enum channel ch)
{
    if (!*a || strlen(a) > 254)
        return false;
    for (const char *p = a; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>\"(),;\\", *p))
            return false;
    return ch == CH_SMS || (strchr(a, '@') && strchr(a, '@') != a);
}

/* Renders and hands one message over. Returns 0 sent, -1 not (r says why). */
static int send_one(struct messenger *x, const struct store_message *m, const char *to, const char *message_id,
                    int64_t now, struct send_result *r)
{
    struct store_rendered text;
    struct store_contact k;
    char token[STORE_UNSUBSCRIBE_TOKEN_LEN + 1];
    memset(r, 0, sizeof *r);
    if (store_message_render(x->s, m, &text) != 0 || store_customer_contact(x->s, m->customer, &k) != 0 ||
        store_unsubscribe_token(x->s, m->customer, token) != 0) {
        snprintf(r->reason, sizeof r->reason, "%s", store_error(x->s));
        return -1;
    }
    if (channel_of(m) == CH_SMS)
        return transport_sms(&x->t, to, text.body, r);
    int len = messenger_mime(x->cfg, store_shop_name(x->s), to, m->customer, token,
                             k.language_set ? k.language : m->lang, message_id, text.subject, text.body, now,
                             x->mime, MIME_MAX);
    if (len < 0) {
        snprintf(r->reason, sizeof r->reason, "%s", "the message is too long");
        return -1;
    }
    return transport_mail(&x->t, to, x->mime, (size_t)len, r);
}

static int64_t backoff(const struct messenger *x, int tries)
{
    int64_t ms = (int64_t)x->cfg->retry_seconds * 1000;
    for (int i = 1; i < tries && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static bool was_interrupted(const struct messenger *x, const char *key)
{
    size_t len = strlen(key);
    for (const char *p = x->interrupted; p && (p = strstr(p, key)) != NULL; p += len)
        if ((p == x->interrupted || p[-1] == '\n') && p[len] == '\n')
            return true;
    return false;
}

/* Sends a batch: first on record as in flight, then the outcomes (with
 * those decided before it) in one transaction. */
static int send_batch(struct messenger *x, struct store_message **batch, int n)
{
    const char *keys[BATCH] = { 0 };
    for (int i = 0; i < n; i++)
        keys[i] = batch[i]->key;
    if (store_message_inflight_set(x->s, keys, n) != 0)
        return -1;
    int sent_to[BATCH] = { 0 };
    char setting[16];
    store_setting_get(x->s, "messages.max_tries", setting, sizeof setting);
    int max_tries = atoi(setting);
    for (int i = 0; i < n; i++) {
        struct store_message *m = batch[i];
        enum channel ch = channel_of(m);
        int64_t now = store_now(x->s);
        int pending = 0;
        for (int j = 0; j < i; j++)
            pending += sent_to[j] && strcmp(batch[j]->customer, m->customer) == 0;
        struct store_msg_verdict v;
        if (x->o->stop && *x->o->stop)
            continue;       /* not sent: it stays as it was */
        /* Read what other processes wrote since (syncd: an opt-out at
         * another till a moment ago), not the snapshot of an earlier read. */
        store_release(x->s);
        if (store_message_verdict(x->s, m, now, pending, &v) != 0)
            return -1;
        if (v.status != MSG_QUEUED) {
            outcome_add(x, m, v.status, v.reason, m->tries);
            run_say(x, m, store_reason_text(v.reason));
            continue;
        }
        if (x->offline_until[ch] > now) {     /* an earlier message found no network */
            outcome_add(x, m, MSG_RETRYING, "", m->tries)->o.next_try = x->offline_until[ch];
            continue;
        }
        if (!address_ok(v.address, ch)) {
            outcome_add(x, m, MSG_FAILED, _("the address cannot be used"), m->tries + 1);
            run_say(x, m, _("the address cannot be used"));
            continue;
        }
        char message_id[128];
        messenger_message_id(x->shop_id, m->key, x->cfg->from, message_id, sizeof message_id);
        struct send_result r;
        bool interrupted = was_interrupted(x, m->key);
        int tries = m->tries + 1;
        if (send_one(x, m, v.address, message_id, now, &r) == 0) {
            struct outcome *o = outcome_add(x, m, MSG_SENT, interrupted ? STORE_REASON_RESENT : "", tries);
            snprintf(o->recipient, sizeof o->recipient, "%s", v.address);
            if (ch == CH_EMAIL)
                snprintf(o->message_id, sizeof o->message_id, "%s", message_id);
            sent_to[i] = 1;
            x->offline_wait[ch] = 0;
            run_say(x, m, _("sent"));
        } else if (r.offline) {
            x->offline_wait[ch] = x->offline_wait[ch] ? 2 * x->offline_wait[ch] : backoff(x, 1);
            if (x->offline_wait[ch] > PROBE_MAX_MS)
                x->offline_wait[ch] = PROBE_MAX_MS;
            x->offline_until[ch] = now + x->offline_wait[ch];
            outcome_add(x, m, MSG_RETRYING, r.reason, m->tries)->o.next_try = x->offline_until[ch];
            run_say(x, m, r.reason);
        } else if (tries >= max_tries) {
            outcome_add(x, m, MSG_FAILED, r.reason, tries);
            run_say(x, m, r.reason);
        } else {
            outcome_add(x, m, MSG_RETRYING, r.reason, tries)->o.next_try = now + backoff(x, tries);
            run_say(x, m, r.reason);
        }
    }
    return flush(x);
}

static void dry_run_line(struct messenger *x, const struct store_message *m, const struct store_msg_verdict *v,
                         const char *waits)
{
    if (waits) {
        run_say(x, m, waits);
        return;
    }
    if (v->status != MSG_QUEUED) {
        char what[300];
        snprintf(what, sizeof what, v->status == MSG_EXPIRED ? _("would expire: %s") : _("would be suppressed: %s"),
                 store_reason_text(v->reason));
        run_say(x, m, what);
        return;
    }
    struct store_rendered text;
    if (store_message_render(x->s, m, &text) != 0)
        return;
    char what[1400];
    snprintf(what, sizeof what, _("would send to %s: %s"), v->address,
             channel_of(m) == CH_SMS ? text.body : text.subject);
    run_say(x, m, what);
}

/* One pass over what is due. *more: a full pass, look again at once. */
static int pass(struct messenger *x, bool *more)
{
    x->n = 0;
    *more = false;
    /* The messages of this till's purchases that the kiosk has not
     * written for a while (store_message_drain). */
    if (!x->o->dry_run && store_message_drain(x->s, STORE_DRAIN_SETTLED_MS, NULL) != 0)
        log_write(LOG_WARNING, _("the messages of the last purchases wait: %s"), store_error(x->s));
    store_release(x->s);
    free(x->interrupted);
    if (store_message_inflight(x->s, &x->interrupted) != 0)
        return -1;
    int64_t now = store_now(x->s);
    if (store_message_due(x->s, now, PASS_MAX, collect, x) != 0)
        return -1;
    *more = x->n == PASS_MAX;
    int64_t quiet = store_message_quiet_until(x->s, now);
    char waits_quiet[80] = "";
    if (quiet) {
        time_t t = (time_t)(quiet / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        snprintf(waits_quiet, sizeof waits_quiet, _("waits: quiet hours until %02d:%02d"), tm.tm_hour, tm.tm_min);
        if (!x->warned_quiet && !x->o->dry_run)
            fprintf(x->o->out, "%s\n", waits_quiet);
        x->warned_quiet = true;
    } else {
        x->warned_quiet = false;
    }
    struct store_message *batch[BATCH];
    int nb = 0, probes[CH_COUNT] = { 0 };
    for (int i = 0; i < x->n; i++) {
        struct store_message *m = &x->due[i];
        enum channel ch = channel_of(m);
        struct store_msg_verdict v;
        if (store_message_verdict(x->s, m, now, 0, &v) != 0)
            return -1;
        const char *waits = NULL;
        if (v.status == MSG_QUEUED && !channel_set_up(x, ch)) {
            waits = ch == CH_EMAIL ? _("waits: e-mail is not set up (smtp_host)") : _("waits: SMS is not set up (sms_url)");
            if (!x->warned_unset[ch] && !x->o->dry_run)
                fprintf(x->o->out, "%s\n", waits);
            x->warned_unset[ch] = true;
        } else if (v.status == MSG_QUEUED && quiet) {
            waits = waits_quiet;
        } else if (v.status == MSG_QUEUED && x->offline_wait[ch] && (x->offline_until[ch] > now || probes[ch]++)) {
            waits = _("waits: no network");     /* one probe at a time */
        }
        if (x->o->dry_run) {
            dry_run_line(x, m, &v, waits);
            continue;
        }
        if (waits)
            continue;
        if (v.status != MSG_QUEUED) {
            outcome_add(x, m, v.status, v.reason, m->tries);
            run_say(x, m, store_reason_text(v.reason));
            continue;
        }
        batch[nb++] = m;
        if (nb == BATCH) {
            if (send_batch(x, batch, nb) != 0)
                return -1;
            nb = 0;
        }
        if (x->o->stop && *x->o->stop)
            break;
    }
    if (flush(x) != 0 || (nb && send_batch(x, batch, nb) != 0))
        return -1;
    return 0;
}

static void nap(const struct messenger_options *o, int ms)
{
    for (int slept = 0; slept < ms && !(o->stop && *o->stop); slept += 50) {
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

int messenger_run(store *s, const struct messenger_config *cfg, const struct messenger_options *o)
{
    struct messenger x;
    memset(&x, 0, sizeof x);
    x.s = s;
    x.cfg = cfg;
    x.o = o;
    x.out = malloc((2 * BATCH + PASS_MAX) * sizeof *x.out);
    x.mime = malloc(MIME_MAX);
    int rc = x.out && x.mime && transport_open(&x.t, cfg) == 0 && store_shop_id(s, x.shop_id) == 0 ? 0 : -1;
    if (rc != 0)
        fprintf(o->out, "%s\n", _("the messenger cannot start: out of memory, or libcurl failed"));
    while (rc == 0 && !(o->stop && *o->stop)) {
        if (!o->dry_run && !store_message_sender(s)) {
            if (!x.warned_sender || o->once)
                fprintf(o->out, "%s\n", _("this till is not the shop's sender: nothing is sent from here"
                                          " ('tally program set messages.sender TILL')"));
            x.warned_sender = true;
            if (o->once)
                break;
            nap(o, o->poll_ms);
            continue;
        }
        x.warned_sender = false;
        bool more;
        if ((rc = pass(&x, &more)) != 0)
            fprintf(o->out, "%s\n", store_error(s));
        if (o->once || o->dry_run)
            break;
        if (!more)
            nap(o, o->poll_ms);
    }
    transport_close(&x.t);
    free(x.due);
    free(x.out);
    free(x.mime);
    free(x.interrupted);
    return rc;
}
