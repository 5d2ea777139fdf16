/* messages.h - messages to customers: the part of the store's public face
 * (included by store.h) that decides who gets which message, once.
 *
 * A trigger (welcome, reward ready, tier reached ...) that fires for a
 * customer appends one "message" event whose occasion key names the
 * occasion ("msg:birthday:<customer>:2026"). Two tills that fire the same
 * occasion, at once or while cut off from each other, both keep their
 * event, but the outbox has one row per occasion key, so one message
 * goes out. Each outcome (sent, retrying, failed, expired, suppressed)
 * is another "message" event naming that key; the row's status is the
 * outcome of highest rank (then the latest), the same on every till. */
#ifndef TALLY_STORE_MESSAGES_H
#define TALLY_STORE_MESSAGES_H

/* In rank order: a later state never goes back to an earlier one. */
enum store_msg_status {
    MSG_QUEUED, MSG_RETRYING, MSG_SUPPRESSED, MSG_EXPIRED, MSG_FAILED, MSG_SENT, MSG_STATUS_COUNT
};
const char *store_msg_status_name(int status);      /* "queued" ... */
int store_msg_status_parse(const char *name);       /* -1 if unknown */

enum store_trigger {
    TRIG_WELCOME, TRIG_REWARD, TRIG_TIER, TRIG_TIER_CLOSE, TRIG_BIRTHDAY, TRIG_EXPIRING,
    TRIG_WINBACK, TRIG_ANNIVERSARY, TRIG_BALANCE, TRIG_COUNT
};
const char *store_trigger_name(int trigger);        /* "welcome", "reward" ... */
const char *store_trigger_help(int trigger);        /* untranslated: translate with _() */
int store_trigger_parse(const char *name);          /* -1 if unknown */

/* The languages messages are written in, NULL-terminated: en, pl, ro, hu. */
extern const char *const STORE_MSG_LANGS[];
bool store_msg_lang_known(const char *lang);

#define STORE_MSG_KEY_MAX 96
#define STORE_SUBJECT_MAX 120   /* code points of a subject */
#define STORE_BODY_MAX 1000     /* code points of a body */

struct store_message {
    char key[STORE_MSG_KEY_MAX];    /* the occasion: the message's identity */
    char customer[STORE_ID_LEN + 1];
    char trigger[16];
    char channel[8];                /* "email", "sms" or "counter" */
    char lang[3];
    int status;                     /* enum store_msg_status */
    int64_t created, expires;       /* unix ms */
    int64_t status_at;              /* when the status was recorded */
    int tries;                      /* delivery attempts so far */
    int64_t next_try;               /* retrying: not before this */
    char reason[256];               /* why it is in its status, or "" */
    char recipient[256];            /* where it went ("" once forgotten) */
    char message_id[128];
    char vars[512];                 /* JSON: the occasion's values (reward, tier ...) */
};

/* A customer's language and consent per channel (each consent with when
 * and by which staff member it was last given or withdrawn). */
struct store_contact {
    char language[3];               /* the customer's, else the shop's */
    bool language_set;              /* recorded for the customer */
    bool email, sms;                /* consent to offers by e-mail / SMS */
    int64_t email_at, sms_at;       /* 0: never asked */
    char email_by[STORE_ID_LEN + 1], sms_by[STORE_ID_LEN + 1];
};
int store_customer_contact(store *s, const char *customer, struct store_contact *out);

struct store_message_filter {
    const char *customer;           /* or NULL */
    int status;                     /* -1: any */
    const char *trigger;            /* or NULL */
    int limit;                      /* 0: all */
};
/* Newest first. */
int store_message_list(store *s, const struct store_message_filter *f,
                       int (*fn)(const struct store_message *, void *), void *arg);
int store_message_get(store *s, const char *key, struct store_message *out);

/* What happened to a message: a status other than queued, with a reason
 * (shown to the manager), the attempts so far, when to try again, and
 * for a sent message where it went and its Message-ID. */
struct store_msg_outcome {
    int status;
    const char *reason;
    int tries;
    int64_t next_try;
    const char *recipient, *message_id;
};
/* Records an outcome (an event). staff: who passed it on at the counter,
 * or "" for the messenger. */
int store_message_record(store *s, const char *staff, const char *key,
                         const struct store_msg_outcome *o);

/* The counter channel: the oldest message waiting for this customer to
 * be told at the counter. Returns 1 and fills out, 0 if none, -1 on error.
 * A waiting message whose customer has withdrawn consent since is
 * recorded as suppressed instead. */
int store_message_for_counter(store *s, const char *customer, struct store_message *out);

/* The time-based triggers (birthday, points expiring, win-back) for one
 * customer (id) or everyone (NULL), and queued messages past their expiry
 * recorded as expired. queued gets how many messages were queued. */
int store_message_scan(store *s, const char *staff, const char *customer, int *queued);

/* The purchase triggers (reward, tier, tier-close, balance) note what
 * they found in the sale's transaction; this turns the notes into their
 * messages and coupons, in transactions of their own, and returns 0 with
 * how many it took (drained may be NULL). Run after the sale: by the CLI
 * after a command and by the kiosk when idle (settled_ms 0: any note), and
 * by syncd and the messenger for notes another process left (settled_ms
 * STORE_DRAIN_SETTLED_MS: only once the oldest is that old, then all, so
 * their commits do not make the kiosk read its caches again after every
 * sale while it is busy). */
#define STORE_DRAIN_SETTLED_MS 5000
int store_message_drain(store *s, int64_t settled_ms, int *drained);

/* A message's subject and body in its language, placeholders filled in
 * from the customer as they are now and the occasion's values. */
#define STORE_RENDER_MAX 4096
struct store_rendered {
    char subject[STORE_RENDER_MAX / 4];
    char body[STORE_RENDER_MAX];
};
int store_message_render(store *s, const struct store_message *m, struct store_rendered *out);
/* The personal coupon a message brings (a trigger's offer, issued with
 * it): 1 and out filled, 0 if it brings none, -1 on error. The body says
 * it too ({coupon}, {coupon_offer}, {coupon_expires}, or a line of its own
 * when the template does not). */
int store_message_coupon(store *s, const struct store_message *m, struct store_coupon *out);

/* Templates: one subject and body per trigger and language. The shipped
 * ones are used until a manager sets their own (an event, replicated). */
int store_template_get(store *s, int trigger, const char *lang, char *subject, size_t subjectsz,
                       char *body, size_t bodysz, bool *custom);
/* subject and body NULL: back to the shipped text. Refuses unknown
 * placeholders, overlong and non-UTF-8 text, saying which. */
int store_template_set(store *s, const char *manager, int trigger, const char *lang,
                       const char *subject, const char *body);
/* The check alone. */
int store_template_check(store *s, const char *text, bool subject);
/* The placeholders a template may use, NULL-terminated ("name", ...). */
extern const char *const STORE_PLACEHOLDERS[];
/* A template filled in for one customer (or sample values: NULL). */
int store_template_preview(store *s, int trigger, const char *lang, const char *customer,
                           struct store_rendered *out);

/* The messages report (report.c): per trigger and channel, the messages
 * queued in the period (the moment the occasion's message was queued) and
 * what became of them. */
#define STORE_AFTER_DAYS 14     /* the days after a message that count as its effect */
struct store_msg_figures {
    int64_t queued;             /* messages queued in the period */
    int64_t sent, failed, expired, suppressed;     /* of those, by their status now */
    int64_t waiting;            /* still queued or retrying */
    int64_t opted_out;          /* sent, then within 14 days the customer withdrew
                                 * consent to the channel (counter: to offers) */
    int64_t visited;            /* members sent one who made a visit within 14 days after */
    int64_t coupons_used;       /* brought a coupon (a trigger's offer) that has been used, by now */
};
struct store_msg_report_row {
    char trigger[16];           /* "" in the total row (the last) */
    char channel[8];
    struct store_msg_figures cur, prev;
};
/* Rows in trigger order, then e-mail, SMS, counter; then the total. No
 * rows when no message was queued in either period. Messages are the
 * whole shop's: q->till is not used. */
int store_report_messages(store *s, const struct store_report_query *q,
                          int (*fn)(const struct store_msg_report_row *, void *), void *arg);

/* --- opt-outs the customer sends (optout.c) ---------------------------- */

/* Whether a reply opts out: its first word is STOP (or its Polish,
 * Romanian or Hungarian word), in any case. */
bool store_reply_is_stop(const char *text);
/* Withdraws consent to channel ("email" or "sms") for every customer with
 * that address (a phone number by its last nine digits; an e-mail address
 * in any case) who still had it: a profile event each, by no staff
 * member, replicated like any edit. n gets how many (0: nobody had it). */
int store_message_opt_out(store *s, const char *channel, const char *address, int *n);
/* A customer's unsubscribe token, "<id>-<MAC>": the same on every till of
 * the shop, and no one can make another's without the shop's secret. */
#define STORE_UNSUBSCRIBE_TOKEN_LEN (STORE_ID_LEN + 21)
int store_unsubscribe_token(store *s, const char *customer, char out[STORE_UNSUBSCRIBE_TOKEN_LEN + 1]);
/* Withdraws the e-mail consent of the token's customer (n: 1, or 0 when
 * it was withdrawn already). A token that is not this shop's is refused. */
int store_message_unsubscribe(store *s, const char *token, int *n);

/* --- delivery (delivery.c), for the messenger ----------------------------- */

/* Whether this till is the shop's sender (messages.sender). */
bool store_message_sender(store *s);
/* 0 if e-mail and SMS may go at now, else when the quiet hours
 * (messages.quiet_from to messages.quiet_to, local time) end. */
int64_t store_message_quiet_until(store *s, int64_t now);
/* E-mail and SMS messages whose turn has come at now (queued, or retrying
 * and due), the longest waiting first, at most limit (0: all). fn may write. */
int store_message_due(store *s, int64_t now, int limit,
                      int (*fn)(const struct store_message *, void *), void *arg);
/* Whether a due message may go now. status MSG_QUEUED: send it to address;
 * else the outcome to record (expired, or suppressed with a reason: the
 * customer withdrew consent or opted out of the channel, has no address,
 * or was sent messages.weekly_cap in 7 days, counting pending_sent sent
 * but not yet recorded). */
struct store_msg_verdict {
    int status;
    const char *reason;             /* a STORE_REASON_ code, or NULL */
    char address[256];
};
int store_message_verdict(store *s, const struct store_message *m, int64_t now, int pending_sent,
                          struct store_msg_verdict *v);
/* The messages about to be handed to a server (local to this till, never
 * replicated): written before the first byte leaves, cleared by
 * store_message_record_many. Whatever it holds at start-up was
 * interrupted and may have gone. store_message_inflight gives the keys,
 * one per line, malloc'd (free it). */
int store_message_inflight_set(store *s, const char *const *keys, int n);
int store_message_inflight(store *s, char **keys);
/* n outcomes, of the messages keys[i], in one transaction that also
 * empties the in-flight list. */
int store_message_record_many(store *s, const char *const *keys, const struct store_msg_outcome *o, int n);

#endif
