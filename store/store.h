/* store.h - the ledger: an append-only event log in SQLite, the loyalty
 * rules that decide each event's effect, and the tables derived from it.
 *
 * This header is the store's whole public face. Every write goes through a
 * function here, in one transaction with the event that records it; nothing
 * above the store writes SQL. See doc/DESIGN.md, "The ledger is an
 * event log".
 *
 * Conventions: functions returning int give 0 on success and -1 on failure,
 * with a translated one-line reason in store_error(). Money is int64_t minor
 * units of the shop's currency. Times are unix milliseconds ("wall"). */
#ifndef TALLY_STORE_H
#define TALLY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct store store;

#define STORE_ORIGIN_LEN 8      /* hex chars of a till's origin id */
#define STORE_ID_LEN 12         /* customer, staff, reward ... ids */
#define STORE_SECRET_BYTES 32
#define STORE_DATA_MAX 4096     /* JSON payload of one event */
#define STORE_TEXT_MAX 200      /* a name, a reason, an email (code points) */
#define STORE_SCHEMA_VERSION 13

/* --- opening --------------------------------------------------------- */

/* The database path: explicit, else $TALLY_DB, else
 * $XDG_DATA_HOME/tally/tally.db (~/.local/share/tally/tally.db). */
int store_default_path(const char *explicit_path, char *out, size_t outsz);

/* Opens (create=true: creates, mode 0600) and migrates to the current
 * schema. On failure returns NULL and writes the reason to err. A store
 * belongs to one thread at a time (its connection has no mutex of its
 * own): a thread that needs the database opens its own. */
store *store_open(const char *path, bool create, char *err, size_t errsz);
void store_close(store *s);
/* Ends the read snapshot of earlier calls, so the next read sees what other
 * processes committed. Writes do this themselves; a long-running process
 * (kiosk, syncd) calls it once per turn of its main loop. */
void store_release(store *s);
/* Changes whenever another process commits to the database: screens poll
 * it (after store_release) to know when to redraw. */
int64_t store_data_version(store *s);
const char *store_error(const store *s);
/* The database file's path, to open a second store on it. */
const char *store_path(store *s);
bool store_is_initialised(store *s);

/* A new shop: shop id and secret, this till's origin and key pair, the
 * shop's name and currency (settings events). */
int store_init_shop(store *s, const char *name, const char *currency);

/* The till's own identity (not replicated). */
const char *store_origin(store *s);
int store_shop_secret(store *s, unsigned char secret[STORE_SECRET_BYTES]);
/* Shop name and currency, and the currency's minor-unit digits. */
const char *store_shop_name(store *s);
const char *store_currency(store *s);
int store_currency_digits(store *s);

/* Set a clock for tests and demo history ("now" in unix ms; 0 = real). */
void store_set_clock(store *s, int64_t now_ms);
int64_t store_now(store *s);

/* --- events ----------------------------------------------------------- */

struct store_event {
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq;
    int64_t hlc;            /* hybrid logical clock: ms << 16 | counter */
    int64_t wall;           /* origin's wall clock, unix ms */
    char type[24];
    char staff[STORE_ID_LEN + 1];
    char customer[STORE_ID_LEN + 1];
    /* The effect: what this event did to the customer's balances. */
    int64_t points, stamps, credit, spend, visits;
    char ref_origin[STORE_ORIGIN_LEN + 1]; /* the event this one corrects */
    int64_t ref_seq;
    char occasion[96];      /* once-per-occasion key, or "" */
    char reason[STORE_TEXT_MAX * 4 + 1];
    char data[STORE_DATA_MAX + 1];  /* JSON object, non-personal */
    char pii[STORE_DATA_MAX + 1];   /* JSON object, personal; "" once forgotten */
    unsigned char pii_hash[32];
    unsigned char hash[32]; /* content hash over identity and all the above */
};

/* Outcome of applying one event from another till. */
enum store_apply {
    STORE_APPLIED,          /* new, written */
    STORE_DUPLICATE,        /* held already, same content: nothing to do */
    STORE_FORK,             /* held already with other content: refused, recorded */
    STORE_REJECTED,         /* breaks the schema's rules: refused, nothing written */
    STORE_FAILED,           /* database error */
    STORE_UNSIGNED,         /* not signed by the till it names: refused (store_apply_batch) */
    STORE_WAITING           /* signed by a till not known here yet: not applied */
};

/* Applies events made elsewhere (sync, restore), in one transaction.
 * Idempotent. results[i] gets each event's outcome; why gets the first
 * refusal's reason. Returns -1 only on a database error. */
int store_apply_events(store *s, const struct store_event *evs, size_t n,
                       enum store_apply *results, char *why, size_t whysz);

/* Reads events of one origin with seq > after, at most limit of them, in
 * seq order. Returns the count, or -1. */
int store_read_events(store *s, const char *origin, int64_t after,
                      struct store_event *out, int limit);

/* The version vector: for each origin, the highest seq held with no gap. */
struct store_vv { char origin[STORE_ORIGIN_LEN + 1]; int64_t seq; };
int store_version_vector(store *s, struct store_vv *out, int max);

/* Calls fn for each event matching the filter, newest first. */
struct store_event_filter {
    const char *customer;   /* or NULL */
    const char *type;       /* or NULL */
    int limit;              /* 0: all */
};
int store_list_events(store *s, const struct store_event_filter *f,
                      int (*fn)(const struct store_event *ev, void *arg), void *arg);
int store_get_event(store *s, const char *origin, int64_t seq, struct store_event *out);
/* Whether a void of this event counts (it was cancelled). */
bool store_event_voided(store *s, const char *origin, int64_t seq);
/* Whether an event's content hash matches what it says. */
bool store_event_hash_ok(const struct store_event *ev);
/* "3fa2c1d9:42" → origin and seq. */
int store_parse_event_ref(const char *text, char origin[STORE_ORIGIN_LEN + 1], int64_t *seq);

/* One hash of the derived state (hex, 64 chars + NUL): equal on two tills
 * that hold the same events, in whatever order they came. */
int store_digest(store *s, char out[65]);
int64_t store_event_count(store *s);

/* --- program settings --------------------------------------------------- */

struct store_setting_info {
    const char *key;
    const char *help;       /* untranslated; translate with _() */
};
/* The known settings, NULL-terminated. */
const struct store_setting_info *store_settings(void);
/* The value of a setting in its human form ("1.25", "Silver:0:1,Gold:500:1.25"). */
int store_setting_get(store *s, const char *key, char *out, size_t outsz);
/* Validates and records a rule change (manager only). */
int store_setting_set(store *s, const char *staff, const char *key, const char *value);

/* --- staff -------------------------------------------------------------- */

enum store_role { ROLE_BARISTA = 1, ROLE_MANAGER = 2 };
struct store_staff {
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    enum store_role role;
    bool disabled;
};
bool store_has_manager(store *s);
/* by: the acting manager's id, or NULL to add the very first manager. */
int store_staff_add(store *s, const char *by, const char *name, enum store_role role,
                    const char *pin, struct store_staff *out);
int store_staff_disable(store *s, const char *by, const char *name);
int store_staff_list(store *s, int (*fn)(const struct store_staff *, void *), void *arg);
int store_staff_get(store *s, const char *id, struct store_staff *out);

/* Every PIN typed anywhere (the kiosk's login, a manager's PIN asked at
 * the kiosk, the tally command) is checked by store_staff_login, which
 * rations wrong ones per staff member at this till: STORE_PIN_FREE wrong
 * PINs in a row are free, each further one doubles the wait before the
 * next try (30 s, 1 min ... 32 min), and STORE_PIN_LOCK in a row lock the
 * name here until a manager unlocks it (or one try a day). The count is
 * kept in the database, so it holds across processes and restarts. Each
 * wrong PIN is a login_failed event (whose name, via, when; never the
 * PIN), replicated like any other; see staff.c. */
#define STORE_PIN_FREE 3
#define STORE_PIN_LOCK 10
enum store_via { STORE_VIA_KIOSK, STORE_VIA_KIOSK_MANAGER, STORE_VIA_CLI };
/* Checks a PIN; refuses unknown, disabled, wrong, and a name that must
 * wait or is locked (the PIN is then not checked, and the reason says how
 * long or who can unlock). by: who is logged in at the kiosk meanwhile,
 * or NULL. */
int store_staff_login(store *s, const char *name, const char *pin, enum store_via via,
                      const char *by, struct store_staff *out);
/* The wrong-PIN count of one staff member at this till. */
struct store_pin_guard {
    int failures;           /* wrong PINs in a row here (a forgotten run: 0) */
    int64_t last;           /* when the last one was typed, unix ms */
    int64_t wait_until;     /* no PIN is checked before this; 0: none */
    bool locked;            /* STORE_PIN_LOCK or more */
};
int store_pin_guard(store *s, const char *staff_id, struct store_pin_guard *out);
/* A manager ends a staff member's run of wrong PINs at this till (an
 * event, login_unlock). Refused when there is nothing to unlock. */
int store_staff_unlock(store *s, const char *manager, const char *name);
/* A wait for people: "30 s", "16 min", "24 h" (rounded up). */
void store_wait_text(int64_t ms, char *out, size_t outsz);

/* --- customers ---------------------------------------------------------- */

struct store_profile {      /* NULL or "" field: not given */
    const char *name, *phone, *email, *birthday, *referred_by, *card;
    int consent;            /* -1 not given, 0 no, 1 yes */
    /* Messages (messages.h): the customer's language (en, pl, ro, hu) and
     * consent to offers by e-mail and by SMS ("yes"/"no"). */
    const char *language, *consent_email, *consent_sms;
};

struct store_customer {
    char id[STORE_ID_LEN + 1];
    char card[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    char phone[40], email[STORE_TEXT_MAX * 4 + 1], birthday[16];
    char referred_by[STORE_ID_LEN + 1];
    bool consent, forgotten;
    int64_t points, stamps, credit, spend, visits;
    int64_t enrolled, first_visit, last_visit;   /* unix ms, 0 if none */
};

/* Enrols a customer; card is the new card id (made by the caller with the
 * scanner's card_make). Applies the welcome bonus. */
int store_customer_add(store *s, const char *staff, const struct store_profile *p,
                       struct store_customer *out);
/* The customer with this phone number, written with or without its
 * country code (the last nine digits decide, as for enrolment): an index
 * seek. Fails if none or several match. */
int store_customer_by_phone(store *s, const char *phone, struct store_customer *out);
/* The same for a customer brought from another system (tally import), with
 * the points and stamps they had there (manager only). An opening balance
 * is outstanding from then on but is not points issued in any period nor
 * a manager's adjustment (an adjust event marked "opening"). */
int store_customer_import(store *s, const char *manager, const struct store_profile *p,
                          int64_t points, int64_t stamps, struct store_customer *out);
int store_customer_edit(store *s, const char *staff, const char *id,
                        const struct store_profile *p);
int store_customer_get(store *s, const char *id, struct store_customer *out);

enum store_card_state { STORE_CARD_ACTIVE, STORE_CARD_UNKNOWN, STORE_CARD_REPLACED,
                        STORE_CARD_FORGOTTEN };
enum store_card_state store_customer_by_card(store *s, const char *card,
                                             struct store_customer *out);
/* Finds by name (accent- and case-insensitive), phone, card id or id. */
int store_customer_find(store *s, const char *query, int limit,
                        int (*fn)(const struct store_customer *, void *), void *arg);
int store_customer_replace_card(store *s, const char *staff, const char *id, const char *card);
/* Erases personal data, keeps amounts. */
int store_customer_forget(store *s, const char *staff, const char *id);

/* Tier and its progress at the store's "now". */
struct store_tier_status {
    char tier[64], next[64];
    int64_t multiplier_milli;   /* 1000 = x1 */
    int64_t window_spend;       /* spend within the tier window */
    int64_t to_next;            /* spend still needed for the next tier, 0 if top */
    int tier_at, next_at;       /* tier_index of tier and of next (-1: none), read with them */
};
int store_customer_tier(store *s, const char *id, struct store_tier_status *out);

/* --- transactions ------------------------------------------------------- */

/* An override lets a manager pass an abuse limit; reason is recorded. */
struct store_override { const char *manager; const char *reason; };

struct store_earn {
    int64_t amount;         /* minor units */
    int items;              /* 0 means 1 */
    const char *category;   /* or NULL */
    const struct store_override *override;
};
/* What a transaction did, for the screen and the CLI. */
struct store_result {
    char ref[STORE_ORIGIN_LEN + 24];    /* "origin:seq" of the main event */
    int64_t points, stamps, credit;     /* its effect */
    int64_t discount;                   /* minor units, for pay */
    int64_t bonus_points;               /* birthday, referral bonuses granted */
    int64_t expired_points;             /* expired just before */
    char tier_before[64], tier_after[64];
    char tier_coupon[16];               /* the entry coupon of the tier reached, or "" */
};
int store_earn(store *s, const char *staff, const char *customer,
               const struct store_earn *e, struct store_result *out);
int store_redeem(store *s, const char *staff, const char *customer,
                 const char *reward, const struct store_override *ov,
                 struct store_result *out);
/* Points as payment: a discount at the configured value per point. */
int store_pay_points(store *s, const char *staff, const char *customer,
                     int64_t points, struct store_result *out);
/* Spends cashback store credit. */
int store_pay_credit(store *s, const char *staff, const char *customer,
                     int64_t amount, struct store_result *out);
/* Full (amount 0) or partial refund of an earn. */
int store_refund(store *s, const char *staff, const char *event_ref,
                 int64_t amount, const char *reason, struct store_result *out);
/* A compensating event; manager or (undo) the same staff within minutes. */
int store_void(store *s, const char *staff, const char *event_ref,
               const char *reason, struct store_result *out);
/* Points and stamps by hand (manager), e.g. opening balances on import. */
int store_adjust(store *s, const char *manager, const char *customer,
                 int64_t points, int64_t stamps, const char *reason,
                 struct store_result *out);
int store_nps(store *s, const char *staff, const char *customer, int score);
/* Whether this till is cut off from the others (the caller knows, from
 * sync). While it is, spending points is limited per customer and day by
 * offline.redeem_limit: two cut-off tills could otherwise both let the
 * same points go. */
void store_set_offline(store *s, bool offline);
/* Expires due points for one customer (id) or everyone (NULL). */
int store_expire(store *s, const char *customer, int64_t *expired_total);

/* --- rewards, coupons, promotions ---------------------------------------- */

struct store_reward {
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    int64_t points, stamps;     /* price: one of them non-zero */
    bool retired;
    char tier[64];              /* a perk: the lowest tier that may redeem it; "" every member */
};
int store_reward_add(store *s, const char *manager, const char *name,
                     int64_t points, int64_t stamps, struct store_reward *out);
/* The same, kept for members of tier and the tiers above it (NULL or "":
 * every member); tier is one of the 'tiers' setting's names. */
int store_reward_add_tier(store *s, const char *manager, const char *name, int64_t points,
                          int64_t stamps, const char *tier, struct store_reward *out);
int store_reward_retire(store *s, const char *manager, const char *reward);
int store_reward_list(store *s, bool with_retired,
                      int (*fn)(const struct store_reward *, void *), void *arg);
/* By id or by name (case- and accent-insensitive). */
int store_reward_get(store *s, const char *reward, struct store_reward *out);

struct store_coupon {
    char code[16];
    char customer[STORE_ID_LEN + 1];   /* "" for anyone */
    char reward[STORE_ID_LEN + 1];     /* a reward, or */
    int64_t discount;                  /* a discount in minor units, or */
    int64_t percent;                   /* a discount in percent */
    int64_t expires;                   /* unix ms, end of that day */
    int64_t uses;
};
struct store_coupon_spec {
    const char *customer, *reward;
    int64_t discount, percent, expires;
};
int store_coupon_issue(store *s, const char *manager, const struct store_coupon_spec *spec,
                       struct store_coupon *out);
int store_coupon_get(store *s, const char *code, struct store_coupon *out);
int store_coupon_redeem(store *s, const char *staff, const char *code,
                        const char *customer, struct store_result *out);
int store_coupon_list(store *s, const char *customer,
                      int (*fn)(const struct store_coupon *, void *), void *arg);

struct store_promo {
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    int64_t multiplier_milli;
    int days;                   /* bit 0 = Monday ... bit 6 = Sunday; 0 = every day */
    int start_minute, end_minute;   /* local time; 0 and 1440 = all day */
    char from[11], to[11];      /* YYYY-MM-DD or "" */
    char category[64];          /* or "" for every purchase */
    bool ended;
    char tier[64];              /* a perk: the lowest tier it applies to; "" every member */
};
int store_promo_add(store *s, const char *manager, const struct store_promo *p,
                    struct store_promo *out);
int store_promo_end(store *s, const char *manager, const char *promo);
int store_promo_list(store *s, bool with_ended,
                     int (*fn)(const struct store_promo *, void *), void *arg);
/* Whether a promotion runs at the store's "now" (its days, hours and
 * dates; not its category, which depends on the purchase). */
bool store_promo_running(store *s, const struct store_promo *p);

/* Whether a member of tier (a 'tiers' name, "" below every tier) may use
 * a perk kept for lowest and the tiers above it ("" or NULL: every
 * member). A perk for a tier no longer in the list is nobody's, so
 * renaming the tiers never opens a perk to everyone. */
bool store_tier_reaches(store *s, const char *tier, const char *lowest);

/* --- backup, restore, check ---------------------------------------------- */

/* A consistent copy of the ledger at dest while others keep writing. */
int store_backup(store *s, const char *dest);
/* A backup into dir/tally-YYYYmmdd-HHMMSS.db, then only the newest keep
 * backups there are kept. written gets the new file's path. */
int store_backup_rotate(store *s, const char *dir, int keep, char *written, size_t writtensz);
/* Replaces this database's content with a backup of the same shop, then
 * continues under a new origin so no sequence number is used twice. */
int store_restore(store *s, const char *backup);

enum store_check_level { STORE_CHECK_OK, STORE_CHECK_WARNING, STORE_CHECK_ERROR };
/* SQLite's integrity check and the ledger's invariants (balances are sums
 * of effects, no gaps in this till's sequence, hashes match, no forks);
 * fn gets one translated line per finding. Returns the number of errors,
 * or -1 if the check could not run. */
int store_check(store *s, int (*fn)(enum store_check_level, const char *msg, void *arg), void *arg);

/* --- bulk ---------------------------------------------------------------- */

/* Runs fn inside one write transaction: everything or nothing. fn returns
 * 0 to commit. Store calls made inside join that transaction. */
int store_atomically(store *s, int (*fn)(store *s, void *arg), void *arg);
/* The same for a caller that decides as it goes when to commit: syncd
 * keeps consecutive catch-up batches in one transaction, as one commit
 * of many events costs much less than many commits of a few. Store calls
 * between store_begin and store_commit join the transaction; one that
 * fails is rolled back alone. store_rollback drops all of it. */
int store_begin(store *s);
int store_commit(store *s);
void store_rollback(store *s);

/* --- imports (import.c) --------------------------------------------------
 * An import of a whole file, all or nothing, that keeps the counter
 * waiting for one short transaction at most: its rows are done on a copy
 * of the ledger (DB.import) under an origin of the import's own, its
 * events staged in the ledger, then the import is sealed in one short
 * transaction and its events added like a till's catch-up, a few thousand
 * per transaction; sync and 'tally events' see none of them until all are
 * in. A kill before the seal leaves nothing; after it, the next import or
 * store_import_finish adds the rest. */

/* Starts an import of the file whose hash (64 hex chars) is file_hash:
 * refused while another import runs on this till. First finishes an
 * import that was sealed and then interrupted, and puts its file's hash
 * in finished ("" if none); if that was this very file, *work is NULL and
 * there is nothing more to do. Otherwise *work is the copy to do the rows
 * on (in one store_atomically): imported customers get no welcome bonus
 * and no messages, imported purchases no messages and no abuse limits.
 * End it with store_import_end either way. */
int store_import_begin(store *s, const char *file_hash, char finished[65], store **work);
/* ok: seals the work and adds its events here (added: how many); not ok:
 * drops it, and nothing of it is anywhere. Closes work. */
int store_import_end(store *s, store *work, bool ok, int64_t *added);
/* 'tally import finish': adds the rest of an import stopped while it was
 * being added, or drops what one stopped before its seal left. *any:
 * whether there was anything to do. Refused while an import runs. */
int store_import_finish(store *s, int64_t *added, bool *any);
/* Removes a database file that is not open and what SQLite keeps beside
 * it (-journal, -wal, -shm). */
void store_remove_database(const char *path);

/* Writes everything held about one customer as a JSON document. */
int store_customer_export(store *s, const char *id, char **json_out);

/* --- reports --- */

/* Demo history (store/seed.c): a deterministic, realistic history of a
 * café's program written through the functions above: regulars, occasional
 * and rare visitors, members who drift away, new members joining over time,
 * birthdays, referrals, redemptions, refunds, voids, NPS answers, win-back
 * coupons, a few staff members and rewards. Only into a shop without
 * customers. The same seed, size and end give the same history (ids, the
 * till's origin and card codes aside). */
struct store_seed_spec {
    int customers;          /* members over the whole history */
    int days;               /* history of the last `days` days, up to end */
    uint64_t seed;
    int64_t end;            /* unix ms; 0: now */
    const char *manager;    /* the acting manager's id */
    const char *staff_pin;  /* PIN of the demo staff it adds; NULL: 1111 */
    /* A past campaign with a built-in effect (seed.c demo_campaign), in a
     * history of 90 days or more. Its arms come from the shop's secret, so
     * with it the same seed gives the same history only in proportion. */
    bool campaign;
    /* New card ids (e.g. the scanner's card_make); NULL: made up here. */
    void (*make_card)(void *arg, char card[STORE_ID_LEN + 1]);
    /* Called after each transaction with the days done so far; or NULL. */
    void (*progress)(void *arg, int day, int days);
    void *arg;
};
struct store_seed_stats {
    int64_t customers, events, staff, rewards;
    int64_t failed;         /* calls the store refused (expected: 0) */
    char first_error[256];  /* the first refusal, or "" */
    char campaign[STORE_TEXT_MAX * 4 + 1];  /* the demo campaign's name, or "" */
};
int store_seed_demo(store *s, const struct store_seed_spec *spec, struct store_seed_stats *out);

/* Reports (store/report.c). Every figure is computed in SQL from the event
 * log, in one read transaction per report (a consistent snapshot; never the
 * write lock, so the kiosk keeps serving). Definitions: 'tally report
 * --help' and README.md. Money in minor units; a rate in tenths of a percent
 * (123 = 12.3 %); STORE_NA where a figure has no value (no visits, nobody
 * to churn ...). Periods are local calendar days. */
#define STORE_NA INT64_MIN

struct store_period {
    int64_t from, to;           /* [from, to): midnight of the first day to midnight after the last */
    int64_t prev_from, prev_to; /* the same number of days just before */
    int days;
    int64_t first_day, last_day;    /* days since 1970-01-01 (local calendar), both included */
};
/* The period a manager asked for: --from/--to (YYYY-MM-DD, both days
 * included; --from alone runs to today), --period (2026, 2026-Q3, 2026-11,
 * 2026-11-05) or --last (30d, 8w, 6m, 1y: up to and including today);
 * all NULL: the last 30 days. One of the three ways at most. */
int store_period_parse(store *s, const char *from, const char *to, const char *period,
                       const char *last, struct store_period *out);
/* One day (YYYY-MM-DD, or NULL for today), and the day before. */
int store_period_day(store *s, const char *date, struct store_period *out);

/* Several reports from one snapshot (the dashboard): between these two, a
 * report reads the database as it was at the first read after begin. */
int store_snapshot_begin(store *s);
void store_snapshot_end(store *s);
/* One snapshot on two stores of the same database, so that two threads
 * read one state of the ledger (the dashboard). Returns 1 when both are
 * begun on the same commit; 0 when only a's is (the write lock was not to
 * be had at once - a long write is running, or the file is read-only):
 * read everything on a then; -1 on an error (neither begun). Each is
 * ended with store_snapshot_end. */
int store_snapshot_begin_pair(store *a, store *b);

struct store_report_query {
    struct store_period period;
    const char *till;       /* one till's origin, or NULL/"" for all */
};

struct store_summary {
    int64_t members;            /* enrolled by the end of the period */
    int64_t active, new_members, visits, sales, aov;
    int64_t repeaters, repeat_rate;     /* active with 2+ visits; their share */
    int64_t frequency;          /* visits per active member, hundredths */
    int64_t prev_active, churned, churn, retention;
    int64_t lifespan_days, clv;
    int64_t points_issued, points_redeemed, points_expired, redemption_rate;
    int64_t points_outstanding, liability;  /* at the end of the period */
    int64_t nps_answers, promoters, passives, detractors;
    int64_t nps;                /* tenths of a point, -1000..1000 */
};
/* cur: the period; prev: the period before it. */
int store_report_summary(store *s, const struct store_report_query *q,
                         struct store_summary *cur, struct store_summary *prev);

/* The summary's figures, described once (figures.c) for every screen that
 * shows them: the report command and the dashboard pick which, in their
 * own order, and present each by its kind. */
enum store_figure_kind {
    STORE_FIGURE_COUNT,         /* a whole number */
    STORE_FIGURE_MONEY,         /* minor units of the shop's currency */
    STORE_FIGURE_PERCENT,       /* tenths of a percent: 551 is 55.1 % */
    STORE_FIGURE_TENTHS,        /* tenths, no percent sign (the NPS): 577 is 57.7 */
    STORE_FIGURE_HUNDREDTHS,    /* hundredths (visits per member): 263 is 2.63 */
};
struct store_figure {
    const char *key;            /* its name in CSV and JSON */
    const char *label;          /* the report's words for it, N_() */
    const char *short_label;    /* the dashboard's, N_(); NULL: not on it */
    enum store_figure_kind kind;
    int good;                   /* +1: a rise is good news, -1: bad news, 0: neither */
    size_t offset;              /* of its int64_t in struct store_summary */
};
/* Every figure, in the report's order; *n gets their count. */
const struct store_figure *store_figures(int *n);
/* The figure called key, or NULL. */
const struct store_figure *store_figure(const char *key);
/* Its value in s (STORE_NA when it has none). */
int64_t store_figure_value(const struct store_summary *s, const struct store_figure *f);

enum store_segment { SEG_NEW, SEG_LAPSED, SEG_AT_RISK, SEG_HIGH_VALUE, SEG_REGULAR,
                     SEG_OCCASIONAL, SEG_COUNT };
const char *store_segment_name(int seg);    /* "new", "at-risk" ... */
const char *store_segment_rule(int seg);    /* untranslated: translate with _() */
int store_segment_parse(const char *name);  /* -1 if unknown */
struct store_segment_stats {
    int64_t members, sales, share;  /* sales in the period, and their share */
};
int store_report_segments(store *s, const struct store_report_query *q,
                          struct store_segment_stats cur[SEG_COUNT],
                          struct store_segment_stats prev[SEG_COUNT]);

/* One member in a list. Forgotten members are never listed. */
struct store_member_row {
    int64_t rank;
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    char phone[40], email[STORE_TEXT_MAX * 4 + 1];
    bool consent;
    int segment;                /* at the end of the period */
    int64_t visits, spend;      /* in the period */
    int64_t prev_visits, prev_spend;
    int64_t last_visit;         /* unix ms, before the end of the period; 0: none */
    int64_t total_visits;       /* all visits before the end of the period */
    int64_t interval_days;      /* usual days between visits, or STORE_NA */
    int r, f, m;                /* RFM scores 1-5 (customers report) */
};
/* The members of one segment at the end of the period, most spend first. */
int store_report_segment_members(store *s, const struct store_report_query *q, int seg,
                                 int limit, int (*fn)(const struct store_member_row *, void *),
                                 void *arg);
/* Both in one pass, which costs as much as either: the segment figures
 * and the members of segment seg (-1: none). */
int store_report_segments_and_members(store *s, const struct store_report_query *q,
                                      struct store_segment_stats cur[SEG_COUNT],
                                      struct store_segment_stats prev[SEG_COUNT], int seg,
                                      int limit, int (*fn)(const struct store_member_row *, void *),
                                      void *arg);
enum store_rank { STORE_BY_SPEND, STORE_BY_VISITS, STORE_BY_RECENCY };
/* Members with a visit in the period, ranked, with their RFM scores. */
int store_report_customers(store *s, const struct store_report_query *q, enum store_rank by,
                           int limit, int (*fn)(const struct store_member_row *, void *),
                           void *arg);

struct store_reward_row {
    char kind[16];              /* "reward", "coupon", "points", "credit" */
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    int64_t count, points, stamps, value;   /* value: minor units, or STORE_NA */
    int64_t prev_count, prev_points, prev_stamps, prev_value;
    char tier[64];              /* a perk's (the reward's tier), or "" */
};
int store_report_rewards(store *s, const struct store_report_query *q,
                         int (*fn)(const struct store_reward_row *, void *), void *arg);

struct store_tier_row {
    char tier[64];
    int64_t members, prev_members;  /* at the end of the period / of the previous one */
    int64_t joined;                 /* new members who are in it at the end */
    int64_t up, down;               /* members who came into it from a lower / higher tier */
};
/* Tiers are the whole shop's: q->till is not used. */
int store_report_tiers(store *s, const struct store_report_query *q,
                       int (*fn)(const struct store_tier_row *, void *), void *arg);
/* What the dashboard shows at once, from one pass over the members that
 * costs little more than the segments alone: store_report_summary's
 * figures (sum_cur NULL: none), store_report_segments_and_members' and
 * store_report_tiers' rows (tier_fn NULL: none; with a till, the tiers,
 * which are the whole shop's, take a pass of their own). */
int store_report_overview(store *s, const struct store_report_query *q, struct store_summary *sum_cur,
                          struct store_summary *sum_prev, struct store_segment_stats cur[SEG_COUNT],
                          struct store_segment_stats prev[SEG_COUNT], int seg, int limit,
                          int (*fn)(const struct store_member_row *, void *), void *arg,
                          int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg);
/* The same over two stores of one database that share a snapshot
 * (store_snapshot_begin_pair), a thread on each: b's runs side(side_arg)
 * first (reports of its own, on b), then reads its share of the members'
 * history while a reads the rest; every call on a is this thread's. An
 * error on b's share is a's error; side's are its own. With no thread to
 * be had, side runs here after the overview. */
int store_report_overview_pair(store *a, store *b, void (*side)(void *), void *side_arg,
                               const struct store_report_query *q, struct store_summary *sum_cur,
                               struct store_summary *sum_prev, struct store_segment_stats cur[SEG_COUNT],
                               struct store_segment_stats prev[SEG_COUNT], int seg, int limit,
                               int (*fn)(const struct store_member_row *, void *), void *arg,
                               int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg);

struct store_activity {
    int64_t transactions, sales, refunds, refunded, voids, voided;
    int64_t adjustments, adjusted_points, overrides;
    int64_t wrong_pins;     /* typed for this person, or at this till */
};
struct store_activity_row {
    char key[STORE_ID_LEN + 1];     /* staff id, or till origin */
    char name[STORE_TEXT_MAX * 4 + 1];
    struct store_activity cur, prev;
};
/* by_till: one row per till, else one per staff member. */
int store_report_activity(store *s, const struct store_report_query *q, bool by_till,
                          int (*fn)(const struct store_activity_row *, void *), void *arg);
/* The wrong PINs typed in the period and the previous one (at q->till, or
 * at every till): the activity report's rows added up, at a fraction of
 * its cost. */
int store_report_wrong_pins(store *s, const struct store_report_query *q, int64_t *cur, int64_t *prev);

struct store_overdraft_row {
    char customer[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];  /* "" for a forgotten customer */
    int64_t points, stamps, credit;     /* balance at the end of the period */
    char event[STORE_ORIGIN_LEN + 24];  /* an event that took it below zero */
    char type[24], staff[STORE_ID_LEN + 1];
    /* "points", "stamps" or "credit"; or "purchase": event is a refund that
     * took its purchase's net below zero (refunds at tills cut off from each
     * other), delta its spend, after the purchase's net (the excess) */
    char unit[10];
    int64_t wall, delta, after;         /* the event's effect on it, and the balance after */
};
/* Members overdrawn at the end of the period and of the previous one;
 * purchases refunded beyond them by then (the excess counts for nothing). */
struct store_overdraft_counts {
    int64_t overdrawn, prev_overdrawn, over_refunded, prev_over_refunded;
};
/* The rows: each overdrawn member's events that took a balance below zero,
 * then each refund over a purchase. Balances are the whole shop's: q->till
 * is not used. counts may be NULL. */
int store_report_overdrafts(store *s, const struct store_report_query *q, struct store_overdraft_counts *counts,
                            int (*fn)(const struct store_overdraft_row *, void *), void *arg);

/* Visits, sales and new members per local day of the period, every day
 * of it (0 where nothing happened), oldest first: a chart's series. */
struct store_day_point {
    int64_t day;                /* days since 1970-01-01, local calendar */
    int64_t visits, sales, new_members;
};
int store_report_days(store *s, const struct store_report_query *q,
                      int (*fn)(const struct store_day_point *, void *), void *arg);

struct store_day_figures {
    int64_t purchases, sales, refunds, refunded, voids, coupons;
    int64_t points_issued, points_taken_back, points_redeemed, points_expired;
    int64_t credit_issued, credit_taken_back, credit_spent;
};
/* A row of the day report: one staff member's at a till; a till's events
 * that no staff member made (expiry); a till's total; all tills'. */
enum store_day_level { STORE_DAY_STAFF, STORE_DAY_NO_STAFF, STORE_DAY_TILL, STORE_DAY_ALL };
struct store_day_row {
    enum store_day_level level;
    char till[STORE_ORIGIN_LEN + 1];        /* "" in the total row */
    char staff[STORE_ID_LEN + 1];           /* "" in a till's or the total row */
    char staff_name[STORE_TEXT_MAX * 4 + 1];
    struct store_day_figures cur, prev;
};
/* q->period is one day (store_period_day); per till its staff members'
 * rows, its no-staff row, its total; then the total of all tills. No rows
 * when nothing was done on either day. */
int store_report_day(store *s, const struct store_report_query *q,
                     int (*fn)(const struct store_day_row *, void *), void *arg);

/* --- sync --- */
/* What syncd and the till commands need from the ledger (sync_support.c).
 *
 * The till list is derived from events: each till is a "setting" event
 * with the key "till.<origin>" whose value is an object {public_key,
 * address, name, removed}, last writer wins by (hlc, origin) like every
 * setting, so an add, an address change and a removal replicate and
 * resolve the same everywhere. */

#define STORE_KEY_BYTES 32      /* a till's Curve25519 (ZeroMQ CURVE) key */
#define STORE_SHOP_ID_LEN 16    /* hex chars of a shop id */
#define STORE_TOKEN_BYTES 16    /* secret part of a till invitation */
#define STORE_ADDRESS_MAX 100   /* "host:port" of a till's syncd */
#define STORE_TILL_NAME_MAX 60  /* bytes of a till's name */

#define STORE_SIGN_KEY_BYTES 32 /* a till's Ed25519 public signing key */
#define STORE_SIG_BYTES 64      /* an Ed25519 signature */
#define STORE_LINK_BYTES 32     /* a link of a till's hash chain */

struct store_till {
    char origin[STORE_ORIGIN_LEN + 1];
    unsigned char public_key[STORE_KEY_BYTES];
    char address[STORE_ADDRESS_MAX + 1];
    char name[STORE_TILL_NAME_MAX + 1];
    bool removed;
    char replaced_by[STORE_ORIGIN_LEN + 1];  /* a restored till's new origin, or "" */
    /* The key that signs its events from signed_from on (0: it signs
     * none yet). Written as this till holds it (store_signer) whatever
     * the caller says, but for a till that joins. */
    unsigned char sign_key[STORE_SIGN_KEY_BYTES];
    int64_t signed_from;
};

/* The tills of the shop as the events say, ordered by origin. */
int store_till_list(store *s, bool with_removed,
                    int (*fn)(const struct store_till *t, void *arg), void *arg);
int store_till_get(store *s, const char *origin, struct store_till *out);
/* Adds or updates a till (an event). staff: the manager who approved it,
 * or "" when a till records itself. */
int store_till_record(store *s, const char *staff, const struct store_till *t);
/* Records a till that joins with an invitation (manager: who approved
 * it): refused if its origin or key is any till's this shop knows, listed,
 * removed or seen in events, so a joining till cannot take another's
 * place. */
int store_till_join(store *s, const char *manager, const struct store_till *t);
/* Whether a record ever removed this key (1), not (0), or -1: once
 * removed, a key stays removed whatever later records say. */
int store_till_key_removed(store *s, const unsigned char key[STORE_KEY_BYTES]);
/* Removes a till by origin or name (manager; an event). */
int store_till_remove(store *s, const char *manager, const char *till);

/* --- signed events (chain.c) ---
 *
 * Each till signs its own events: from its first signed seq on, every
 * event of its origin is a link of a hash chain, link(k) = BLAKE2b(link(k-1)
 * || content hash of event k), link(first - 1) = 32 zero bytes, and the
 * till signs (origin, k, link(k)) with its Ed25519 key at the end of each
 * run it sends. A run of events (a batch) travels with the link before
 * its first event and the signature over its last, so the receiver checks
 * one signature per batch, whoever passes it on: a till can keep and pass
 * on the signed points it received, never make one for another origin.
 * Which key signs an origin, and from which seq, is the first till record
 * that named them (the joining till's record written by the till that
 * invited it, or the till's own record when it starts signing); a later
 * record never replaces it. Events below the first signed seq are history
 * from before signing and pass unsigned. */
struct store_seal {
    bool sealed;                                /* false: an unsigned batch */
    unsigned char prev[STORE_LINK_BYTES];       /* the link before the first event */
    unsigned char sig[STORE_SIG_BYTES];         /* over the last event's link */
};
/* The key and first signed seq of origin: 1 if known, 0 if not (a till
 * that signs nothing yet, as far as this till knows), -1 on error. */
int store_signer(store *s, const char *origin, unsigned char key[STORE_SIGN_KEY_BYTES],
                 int64_t *first_seq);
/* Gives this till a signing key if it has none (a till made before
 * signing, at its first start after the upgrade: it signs from its next
 * event on), and makes sure its own till record names it. Returns 0; -1
 * on error, or when the shop holds another key for this till's origin
 * (said in store_error). */
int store_signing_ensure(store *s);
/* Before sending evs[0 .. *n-1] (one origin, in seq order, as read):
 * shortens *n to what can go with a seal (contiguous, ending at a point
 * this till can sign or holds a signature for; history before the first
 * signed seq goes unsealed, alone) and fills seal. *n may become 0. */
int store_seal_batch(store *s, const char *origin, const struct store_event *evs, int *n,
                     struct store_seal *seal);
/* Applies a batch of one origin as store_apply_events does, after
 * checking it against its till's signature: a batch its till did not
 * sign is refused whole (every result STORE_UNSIGNED, the reason in why).
 * Unsigned events pass only below their till's first signed seq. Of a
 * till whose signing key this till does not know yet, a batch is taken
 * only from that till itself: sender (the CURVE key it came with) is the
 * key its till record names (before the batch or in it), or, with no
 * record of it here yet, sender says it is that till (says_origin) with a
 * key no till record here names (the till that invited this one, before
 * its record came). Otherwise it is not applied (STORE_WAITING: ask again
 * once its record has come). Returns -1 only on a database error. */
int store_apply_batch(store *s, const struct store_event *evs, size_t n, const struct store_seal *seal,
                      const unsigned char sender[STORE_KEY_BYTES], bool says_origin,
                      enum store_apply *results, char *why, size_t whysz);
/* Whether a batch is signed by its origin's known key (0) or not (-1,
 * the reason in why), without applying it. */
int store_verify_batch(store *s, const struct store_event *evs, size_t n, const struct store_seal *seal,
                       char *why, size_t whysz);

/* This till's key pair and the shop's id (local, never replicated). */
/* This till's Ed25519 signing key pair (sk: libsodium's 64 bytes). */
int store_signing_keys(store *s, unsigned char pk[STORE_SIGN_KEY_BYTES],
                       unsigned char sk[STORE_SIG_BYTES]);
int store_till_keys(store *s, unsigned char pk[STORE_KEY_BYTES],
                    unsigned char sk[STORE_KEY_BYTES]);
int store_shop_id(store *s, char out[STORE_SHOP_ID_LEN + 1]);

/* Small local values of the sync daemon; key must start with "sync.". */
int store_sync_get(store *s, const char *key, char *out, size_t outsz);
int store_sync_set(store *s, const char *key, const char *value);

/* A one-time invitation for a new till: a random token, kept only as its
 * hash with the expiry and the approving manager. */
int store_invite_create(store *s, const char *manager, int64_t ttl_ms,
                        unsigned char token[STORE_TOKEN_BYTES]);
/* Checks and uses up a token; manager gets who approved it. */
int store_invite_take(store *s, const unsigned char token[STORE_TOKEN_BYTES],
                      char manager[STORE_ID_LEN + 1]);
/* Unexpired invitations waiting (0 when none, -1 on error). */
int store_invites_pending(store *s);

/* A random origin id for a new till. */
void store_random_origin(char out[STORE_ORIGIN_LEN + 1]);
/* Makes an empty database the till `origin` of an existing shop, signing
 * its events from the first with sign_sk (an Ed25519 secret key, whose
 * public half went to the inviting till; NULL: a new one). */
int store_join_setup(store *s, const char *shop_id,
                     const unsigned char secret[STORE_SECRET_BYTES], const char *origin,
                     const unsigned char pk[STORE_KEY_BYTES],
                     const unsigned char sk[STORE_KEY_BYTES],
                     const unsigned char sign_sk[STORE_SIG_BYTES]);
/* A till restored from an old backup: continues under a new origin so it
 * never reuses a sequence number its peers hold. The old origin becomes an
 * origin like any other's (its missing events come back by sync); the
 * till list gets the new origin with the same key and address. old_origin
 * gets the origin given up. */
int store_new_origin(store *s, char old_origin[STORE_ORIGIN_LEN + 1]);
/* The highest seq of one origin held (with or without gaps below), 0 if none. */
int64_t store_max_seq(store *s, const char *origin);
/* Number of recorded forks (same identity, other content). */
int64_t store_fork_count(store *s);


/* Visits per local day of q->period, counted as the summary counts them:
 * visits[i] for day first_day + i, q->period.days entries. Fast on any
 * length of history (the report rollups). */
int store_report_visits_per_day(store *s, const struct store_report_query *q, int64_t *visits);

/* Report rollups: folds up to `limit` of the customer visits kept in a
 * log as they are applied (the oldest; of a long log, the first
 * customers') into the per-customer rollup, in one short transaction. Returns how many were folded (0: none left), or -1.
 * For background work: syncd when idle, the hourly backup. Reports are
 * right either way; folding keeps them fast. */
int store_rollup_fold(store *s, int limit);
/* How many rows wait in that log (about: two index lookups), or -1. */
int64_t store_rollup_backlog(store *s);
/* Indexes that log in member order while it is long (a whole history
 * after a join or an import), so the member reports read it as fast as
 * folded rows; the fold drops the index once the log is short. For a
 * moment when nothing else writes (syncd's quiet turn): a long log takes
 * seconds. Returns 1 when it made the index, 0 when there was nothing to
 * do, -1 on error. */
int store_rollup_index(store *s);

/* --- labels (labels.c) ------------------------------------------------ */

/* What people read for an event's type ("earn" → "purchase", translated);
 * an unknown type is returned as it is. JSON and CSV keep the type. */
const char *store_event_type_text(const char *type);

/* Reasons the program records itself are codes, translated when shown;
 * a reason a person typed is returned as it is. */
#define STORE_REASON_TILL_UNDO "@till-undo"     /* the kiosk's undo */
#define STORE_REASON_NO_CONSENT "@no-consent"   /* a message suppressed (messages.h) */
#define STORE_REASON_TOLD "@told"               /* a message passed on at the counter */
#define STORE_REASON_UNSENT "@unsent"           /* a message expired before delivery */
#define STORE_REASON_FORGOTTEN "@forgotten"     /* a message of a forgotten customer */
#define STORE_REASON_OPTED_OUT "@opted-out"     /* the customer withdrew the channel's consent */
#define STORE_REASON_NO_ADDRESS "@no-address"   /* no e-mail address or phone number */
#define STORE_REASON_CAPPED "@capped"           /* messages.weekly_cap reached */
#define STORE_REASON_CUSTOMER_OPT_OUT "@customer-opt-out"  /* a reply STOP, an unsubscribe mail or link */
#define STORE_REASON_RESENT "@resent"           /* sent after an interrupted attempt: maybe twice, same Message-ID */
const char *store_reason_text(const char *reason);

/* An event's points and stamps for a history line ("  +12 pt  +1 st"),
 * in the reader's language; returns out. */
const char *store_effect_text(const struct store_event *ev, char *out, size_t outsz);

/* A segment's name as people read it ("at-risk" → "at risk", translated);
 * the code stays what --segment takes and JSON and CSV print. */
const char *store_segment_text(const char *code);
/* A reward row's kind ("reward", "coupon", "points", "credit") and what
 * it was, as people read them; a row's name is the reward's own name,
 * or for points, credit and coupons without a reward, what they paid. */
const char *store_reward_kind_text(const char *kind);
const char *store_reward_row_text(const struct store_reward_row *r);

#include "messages.h"
#include "campaigns.h"

#endif
