/* bench_triggers.c - the counter's durable earn commits per second with
 * every message trigger switched on, against the same shop with them all
 * off: triggers must not slow the counter (goal >= 0.90).
 *
 * Two shops in one temporary directory, alike but for the triggers; their
 * customers agreed to e-mail and have a birthday, a stamp card of 8 and a
 * reward of 60 points are in the catalog and Gold starts at 50 zł, so
 * every trigger has work to do (and the purchase's triggers each bring a
 * coupon) (the reward trigger looks at the catalog
 * on every purchase, tier and tier-close at the tiers) and about every
 * second purchase notes a message. Short rounds alternate off, on, off ... so
 * load from other processes falls on both alike; each side's figure is
 * its earns over its total time.
 *
 * Measured twice: first the members' first purchases, where every
 * once-per-member trigger fires (welcome coupons, tiers, tier-close, the
 * balance update: most earns also write a message and a coupon, the worst
 * case); then, with the same members SETTLE purchases later, a counter's
 * usual day, where every trigger still looks at every purchase but only
 * the recurring ones (a stamp card filling up) still fire.
 *
 * What it counts: a purchase's triggers only note what fired, in the
 * sale's transaction; the message and coupon events are written after the
 * sale by store_message_drain (store/messages.c). The kiosk drains its
 * own notes when nobody has been at the counter for a second (syncd and
 * the messenger only take notes the kiosk left for 5 s, and the CLI its
 * own after a command), so here the counter's own connection drains after
 * every pair of rounds, as the kiosk would in the pause between two
 * customers, outside both sides' timed rounds. The counter's figure holds
 * all that the sale still does for the triggers (looking at each one,
 * writing the notes); what the drain costs is printed on its own line,
 * with the ratio it would give were it done inside the timed rounds: the
 * work is moved out of the sale, not hidden. That every note is drained
 * is checked: the messages are counted after each measurement, and at
 * the end no note may be left.
 *
 * Prints two lines, each followed by the drain's:
 *   triggers, first purchases: on N earns/s, off M earns/s, ratio R (goal >= 0.90) ...
 *     drained between rounds: N notes in T s; counted in the counter's time it would be R
 *   triggers, members with history: on N earns/s, off M earns/s, ratio R (goal >= 0.90) ...
 * and exits 0 whatever the ratios; 1 only if it could not run. */
#include "bench/bench.h"

#define CUSTOMERS 60
#define ROUNDS 10
#define PER_ROUND 60
#define GOAL 0.90
#define SETTLE 40           /* purchases per member between the two measurements */

struct side {
    store *s;
    double drain_time;
    int drained;
    char barista[STORE_ID_LEN + 1];
    char ids[CUSTOMERS][STORE_ID_LEN + 1];
    long next;
    double time;
};

static void setup(struct side *x, const char *path, bool on)
{
    char err[512];
    if (!(x->s = store_open(path, true, err, sizeof err)))
        die("store_open", err);
    struct store_staff m, b;
    if (store_init_shop(x->s, "Bench Cafe", "PLN") != 0 || store_staff_add(x->s, NULL, "M", ROLE_MANAGER, "1234", &m) != 0 ||
        store_staff_add(x->s, m.id, "B", ROLE_BARISTA, "1234", &b) != 0)
        die("store setup", store_error(x->s));
    static const char *const SETTINGS[][2] = {
        { "limits.per_day", "0" }, { "messages.welcome", "1" }, { "messages.reward", "1" }, { "messages.tier", "1" },
        { "messages.tier_close_percent", "50" }, { "messages.birthday", "1" }, { "messages.expiring", "1" },
        { "messages.winback", "1" }, { "tiers", "Silver:0:1,Gold:50:1.25,Platinum:150:1.5" },
        { "messages.anniversary", "1" }, { "messages.balance_days", "7" },
        /* Each purchase's trigger brings a coupon too (messages.c). */
        { "offer.reward", "coupon:10%" }, { "offer.tier", "coupon:5.00" }, { "offer.tier_close", "coupon:10%" },
        { "offer.balance", "coupon:10%" }, { "offer.welcome", "coupon:10%" },
    };
    for (size_t i = 0; i < sizeof SETTINGS / sizeof SETTINGS[0]; i++)
        if ((on || i == 0 || i == 8) && store_setting_set(x->s, m.id, SETTINGS[i][0], SETTINGS[i][1]) != 0)
            die("settings", store_error(x->s));
    struct store_reward r;
    if (store_reward_add(x->s, m.id, "Kawa", 0, 8, &r) != 0 || store_reward_add(x->s, m.id, "Ciastko", 60, 0, &r) != 0)
        die("rewards", store_error(x->s));
    for (int i = 0; i < CUSTOMERS; i++) {
        char name[32], card[16], email[48];
        snprintf(name, sizeof name, "Klient %d", i);
        snprintf(card, sizeof card, "t%07d", i);
        snprintf(email, sizeof email, "k%d@example.pl", i);
        struct store_profile p = { .name = name, .card = card, .email = email, .birthday = "1990-06-15",
                                   .consent = 1, .consent_email = "yes" };
        struct store_customer c;
        if (store_customer_add(x->s, b.id, &p, &c) != 0)
            die("enrol", store_error(x->s));
        memcpy(x->ids[i], c.id, sizeof x->ids[i]);
    }
    memcpy(x->barista, b.id, sizeof x->barista);
}

static void drain(struct side *x)
{
    int n;
    double t0 = now_s();
    if (store_message_drain(x->s, 0, &n) != 0)
        die("drain", store_error(x->s));
    x->drain_time += now_s() - t0;
    x->drained += n;
}

static void round_of(struct side *x)
{
    double t0 = now_s();
    for (int i = 0; i < PER_ROUND; i++) {
        long k = x->next++;
        struct store_earn e = { .amount = 250 + (k * 37) % 1200, .items = 1 };
        struct store_result r;
        if (store_earn(x->s, x->barista, x->ids[k % CUSTOMERS], &e, &r) != 0)
            die("store_earn", store_error(x->s));
    }
    x->time += now_s() - t0;
}

static int count(const struct store_message *m, void *arg)
{
    (void)m;
    return ++*(int *)arg, 0;
}

static int queued(struct side *x)
{
    int n = 0;
    if (store_message_list(x->s, NULL, count, &n) != 0)
        die("outbox", store_error(x->s));
    return n;
}

/* ROUNDS alternating rounds on each side: prints the rates and returns how
 * many messages the side with triggers queued meanwhile. */
static int measure(struct side *off, struct side *on, const char *what)
{
    int before = queued(on);
    off->time = on->time = on->drain_time = 0;
    on->drained = 0;
    for (int r = 0; r < ROUNDS; r++) {
        round_of(off);
        round_of(on);
        drain(off);
        drain(on);
    }
    double n = ROUNDS * PER_ROUND, rate_off = n / off->time, rate_on = n / on->time, ratio = rate_on / rate_off;
    int q = queued(on) - before;
    printf("triggers, %s: on %.0f earns/s, off %.0f earns/s, ratio %.2f (goal >= %.2f) %s; %d messages queued\n",
           what, rate_on, rate_off, ratio, GOAL, ratio >= GOAL ? "ok" : "below goal", q);
    printf("  drained between rounds: %d notes in %.3f s; counted in the counter's time it would be %.2f\n",
           on->drained, on->drain_time, n / (on->time + on->drain_time) / rate_off);
    return q;
}

int main(void)
{
    const char *dir = bench_tmpdir("bench-triggers");
    static struct side off, on;
    char path[8192];
    snprintf(path, sizeof path, "%s/off.db", dir);
    setup(&off, path, false);
    snprintf(path, sizeof path, "%s/on.db", dir);
    setup(&on, path, true);
    round_of(&off);         /* warm-up: statements prepared, WAL created */
    round_of(&on);
    drain(&off);
    drain(&on);
    int first = measure(&off, &on, "first purchases");
    /* The members' next purchases, untimed, then a usual day. */
    for (int r = 0; r < SETTLE * CUSTOMERS / PER_ROUND; r++) {
        round_of(&off);
        round_of(&on);
        drain(&off);
        drain(&on);
    }
    int later = measure(&off, &on, "members with history");
    (void)later;    /* a usual day may queue none: every card has filled, no tier is near */
    int left = -1;
    if (store_message_drain(on.s, 0, &left) != 0 || left != 0 || off.drained != 0)
        die("triggers", "notes were left undrained, or the shop without triggers had some");
    if (queued(&off) != 0 || first <= 0)
        die("triggers", "the shop with triggers on queued no messages, or the one without some");
    printf("  (%d alternating rounds of %d earns over %d members each side, then again %d purchases per member later;"
           " every trigger on:", ROUNDS, PER_ROUND, CUSTOMERS, SETTLE);
    for (int t = 0; t < TRIG_COUNT; t++)
        printf(" %s%s", store_trigger_name(t), t + 1 < TRIG_COUNT ? "," : ")\n");
    store_close(off.s);
    store_close(on.s);
    bench_cleanup();
    return 0;
}
