/* test_campaign.c - campaigns (store/campaigns.c) on a seeded shop: the
 * audience is what 'tally report segments' lists, the arms are the keyed
 * hash's on every till of the shop, the offers go through the ledger's
 * coupons and bonuses (a coupon works once, at any till), a stop ends
 * them whichever order a till hears of things, a multiplier applies to
 * purchases while the campaign runs, messages go only with consent.
 * TZ=UTC, so local days are UTC days. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "util/util.h"

#define DAY_MS ((int64_t)86400000)
#define BATCH 256
#define MAXIDS 4096

static int64_t utc_ms(int y, int m, int d, int hh)
{
    return days_from_civil(y, m, d) * DAY_MS + hh * 3600000LL;
}
#define END utc_ms(2026, 4, 1, 0)
#define NOW utc_ms(2026, 4, 1, 10)

struct fx {
    char dir[64];
    store *t[3];                    /* tills A, B, C of one shop */
    struct store_staff m;           /* Mira, manager */
    char barista[STORE_ID_LEN + 1];
    struct store_event *ev;
};

#define OK(s, call) do { \
        int rc_ = (call); \
        if (rc_ != 0) print_error("%s: %s\n", #call, store_error(s)); \
        assert_int_equal(rc_, 0); \
    } while (0)

static store *open_db(struct fx *f, const char *file)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "%s/%s", f->dir, file);
    store *s = store_open(path, true, err, sizeof err);
    if (!s)
        print_error("store_open %s: %s\n", path, err);
    assert_non_null(s);
    store_set_clock(s, NOW);
    return s;
}

static int first_staff(const struct store_staff *st, void *arg)
{
    if (st->role == ROLE_BARISTA)
        snprintf(arg, STORE_ID_LEN + 1, "%s", st->id);
    return st->role == ROLE_BARISTA;
}

/* Till A with a seeded history of 120 members over 120 days; B and C
 * join the shop (its secret, their own origins) and hold nothing yet. */
static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/tally-campaign-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->ev = calloc(BATCH, sizeof *f->ev);
    assert_non_null(f->ev);
    store *a = f->t[0] = open_db(f, "a.db");
    store_set_clock(a, utc_ms(2025, 12, 1, 8));
    OK(a, store_init_shop(a, "Kawiarnia", "PLN"));
    OK(a, store_staff_add(a, NULL, "Mira", ROLE_MANAGER, "1234", &f->m));
    struct store_seed_spec spec = { .customers = 120, .days = 120, .seed = 7, .end = END, .manager = f->m.id,
                                    .staff_pin = "1111" };
    struct store_seed_stats st;
    OK(a, store_seed_demo(a, &spec, &st));
    store_set_clock(a, NOW);
    store_staff_list(a, first_staff, f->barista);
    unsigned char secret[STORE_SECRET_BYTES], pk[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    char shop[STORE_SHOP_ID_LEN + 1], origin[STORE_ORIGIN_LEN + 1];
    OK(a, store_shop_secret(a, secret));
    OK(a, store_shop_id(a, shop));
    OK(a, store_till_keys(a, pk, sk));
    for (int i = 1; i < 3; i++) {
        f->t[i] = open_db(f, i == 1 ? "b.db" : "c.db");
        store_random_origin(origin);
        OK(f->t[i], store_join_setup(f->t[i], shop, secret, origin, pk, sk, NULL));
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 3; i++)
        store_close(f->t[i]);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", f->dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f->ev);
    free(f);
    return 0;
}

/* Applies the events of one origin that `from` holds to `to`. */
static void sync_origin(struct fx *f, store *from, store *to, const char *origin)
{
    enum store_apply res[BATCH];
    char why[256];
    int64_t after = 0;
    int n;
    while ((n = store_read_events(from, origin, after, f->ev, BATCH)) > 0) {
        assert_int_equal(store_apply_events(to, f->ev, (size_t)n, res, why, sizeof why), 0);
        for (int j = 0; j < n; j++) {
            if (res[j] != STORE_APPLIED && res[j] != STORE_DUPLICATE)
                print_error("refused: %s\n", why);
            assert_true(res[j] == STORE_APPLIED || res[j] == STORE_DUPLICATE);
        }
        after = f->ev[n - 1].seq;
    }
    assert_true(n == 0);
}

static void sync_into(struct fx *f, store *from, store *to)
{
    struct store_vv vv[16];
    int nvv = store_version_vector(from, vv, 16);
    for (int i = 0; i < nvv; i++)
        sync_origin(f, from, to, vv[i].origin);
}

static void same_digest(store *a, store *b)
{
    char da[65], db[65];
    OK(a, store_digest(a, da));
    OK(b, store_digest(b, db));
    assert_string_equal(da, db);
}

struct ids { char id[MAXIDS][STORE_ID_LEN + 1]; char arm[MAXIDS][STORE_ARM_NAME_MAX + 1]; int n; int64_t min_visits; };

static int by_id(const void *x, const void *y) { return strcmp(x, y); }

static int take_row(const struct store_member_row *m, void *arg)
{
    struct ids *l = arg;
    if (m->total_visits >= l->min_visits && l->n < MAXIDS)
        snprintf(l->id[l->n++], STORE_ID_LEN + 1, "%s", m->id);
    return 0;
}

static int take_member(const struct store_campaign_member *m, void *arg)
{
    struct ids *l = arg;
    assert_true(l->n < MAXIDS);
    snprintf(l->id[l->n], STORE_ID_LEN + 1, "%s", m->customer);
    snprintf(l->arm[l->n++], STORE_ARM_NAME_MAX + 1, "%s", m->arm);
    return 0;
}

static struct ids *members_of(store *s, const char *campaign)
{
    struct ids *l = calloc(1, sizeof *l);
    struct store_campaign k;
    OK(s, store_campaign_get(s, campaign, &k));
    OK(s, store_campaign_members(s, k.id, take_member, l));
    return l;
}

static void create(struct fx *f, const char *name, const char *segment, int64_t min_visits, const char *offers,
                   int64_t holdout, const char *message, int channels, struct store_campaign *out)
{
    store *a = f->t[0];
    struct store_campaign_spec spec = { .name = name, .segment = segment, .min_visits = min_visits,
                                        .holdout = holdout, .expires = NOW + 30 * DAY_MS, .message = message,
                                        .channels = channels };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", offers);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(w, '=');
        assert_non_null(eq);
        *eq = '\0';
        snprintf(spec.arm[spec.narms].name, sizeof spec.arm[0].name, "%s", w);
        OK(a, store_offer_parse(a, eq + 1, &spec.arm[spec.narms++].offer));
    }
    OK(a, store_campaign_create(a, f->m.id, &spec, out));
}

/* The audience of each segment is exactly who the segments report lists
 * at that moment (its default period), --min-visits filtering it. */
static void test_audience_is_the_segment(void **state)
{
    struct fx *f = *state;
    store *a = f->t[0];
    static const char *const SEGS[] = { "new", "lapsed", "at-risk", "high-value", "regular", "occasional" };
    struct store_report_query q = { 0 };
    OK(a, store_period_parse(a, NULL, NULL, NULL, NULL, &q.period));
    int total = 0;
    for (int i = 0; i < 6; i++) {
        for (int64_t minv = 0; minv <= 4; minv += 4) {
            struct ids *want = calloc(1, sizeof *want);
            want->min_visits = minv;
            OK(a, store_report_segment_members(a, &q, store_segment_parse(SEGS[i]), 0, take_row, want));
            qsort(want->id, (size_t)want->n, sizeof want->id[0], by_id);
            char name[32];
            snprintf(name, sizeof name, "%s %d", SEGS[i], (int)minv);
            struct store_campaign k;
            struct store_campaign_spec spec = { .name = name, .segment = SEGS[i], .min_visits = minv, .narms = 1,
                                                .arm = { { .name = "offer" } }, .expires = NOW + DAY_MS };
            OK(a, store_offer_parse(a, "points:5", &spec.arm[0].offer));
            int rc = store_campaign_create(a, f->m.id, &spec, &k);
            if (want->n == 0) {
                assert_int_equal(rc, -1);
                assert_non_null(strstr(store_error(a), "nobody"));
                free(want);
                continue;
            }
            OK(a, rc);
            struct ids *got = members_of(a, name);
            assert_int_equal(got->n, want->n);
            for (int j = 0; j < got->n; j++)
                assert_string_equal(got->id[j], want->id[j]);
            assert_int_equal(k.members, want->n);
            total += want->n;
            free(want);
            free(got);
        }
    }
    assert_true(total > 100);   /* the seeded shop has every segment */
    /* Every member, and a tier. */
    struct store_campaign k;
    create(f, "everyone", "all", 0, "offer=points:1", 0, NULL, 0, &k);
    assert_int_equal(k.members, 120);
    struct store_campaign_spec bad = { .name = "x", .segment = "tier:Diamond", .narms = 1,
                                       .arm = { { .name = "offer", .offer = { .kind = OFFER_POINTS, .value = 1 } } },
                                       .expires = NOW + DAY_MS };
    assert_int_equal(store_campaign_create(a, f->m.id, &bad, NULL), -1);
    bad.segment = "loyal";
    assert_int_equal(store_campaign_create(a, f->m.id, &bad, NULL), -1);
    bad.segment = "all";
    bad.name = "Everyone";      /* a name in use, in any case */
    assert_int_equal(store_campaign_create(a, f->m.id, &bad, NULL), -1);
    assert_int_equal(store_campaign_create(a, f->barista, &bad, NULL), -1);  /* manager only */
}

/* The arms are the keyed hash's: recorded so on A, recomputed the same on
 * B and C once they hold the events; about the holdout's share held out
 * and the rest even across the variants. */
static void test_arms_from_keyed_hash(void **state)
{
    struct fx *f = *state;
    struct store_campaign k;
    create(f, "Spring", "all", 0, "A=coupon:20%,B=reward:Croissant,C=points:50", 2000, NULL, 0, &k);
    sync_into(f, f->t[0], f->t[1]);
    sync_into(f, f->t[1], f->t[2]);
    same_digest(f->t[0], f->t[2]);
    struct ids *on[3];
    for (int t = 0; t < 3; t++) {
        on[t] = members_of(f->t[t], "Spring");
        assert_int_equal(on[t]->n, 120);
        struct store_campaign kt;
        OK(f->t[t], store_campaign_get(f->t[t], "spring", &kt));
        for (int j = 0; j < on[t]->n; j++) {
            char arm[STORE_ARM_NAME_MAX + 1];
            OK(f->t[t], store_campaign_arm(f->t[t], &kt, on[t]->id[j], arm));
            assert_string_equal(arm, on[t]->arm[j]);
            assert_string_equal(on[t]->arm[j], on[0]->arm[j]);
        }
    }
    for (int t = 0; t < 3; t++)
        free(on[t]);
    /* The shares, over many customers: the shop's secret is new each run,
     * so the counts are a binomial draw. Over 30,000 one of the four fell
     * outside 1 % about one run in 3,500 (3.9 standard deviations); over
     * 120,000 it would take 7.8. */
    int held = 0, per[3] = { 0 };
    for (int i = 0; i < 120000; i++) {
        char id[STORE_ID_LEN + 1], arm[STORE_ARM_NAME_MAX + 1];
        snprintf(id, sizeof id, "%012x", i * 7919);
        OK(f->t[1], store_campaign_arm(f->t[1], &k, id, arm));
        held += strcmp(arm, STORE_CAMPAIGN_HOLDOUT) == 0;
        for (int j = 0; j < 3; j++)
            per[j] += strcmp(arm, k.arm[j].name) == 0;
    }
    assert_in_range(held, 22800, 25200);            /* 20 % of 120,000, within 1 % */
    for (int j = 0; j < 3; j++)
        assert_in_range(per[j], 30800, 33200);      /* a third of the rest each */
    /* Another shop (another secret) assigns otherwise. */
    store *other = open_db(f, "other.db");
    OK(other, store_init_shop(other, "Other", "PLN"));
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        char id[STORE_ID_LEN + 1], x[STORE_ARM_NAME_MAX + 1], y[STORE_ARM_NAME_MAX + 1];
        snprintf(id, sizeof id, "%012x", i);
        OK(f->t[1], store_campaign_arm(f->t[1], &k, id, x));
        OK(other, store_campaign_arm(other, &k, id, y));
        differ += strcmp(x, y) != 0;
    }
    store_close(other);
    assert_true(differ > 50);
}

static int coupon_of(const struct store_coupon *c, void *arg)
{
    memcpy(arg, c, sizeof *c);
    return 1;
}

/* Offers go through the ledger: a points arm's bonus is in the balance,
 * the holdout gets nothing, a coupon is the member's alone and works
 * once, at any till; a stop ends the coupons everywhere, whichever of its
 * events a till hears first; a member who leaves the segment stays in. */
static void test_offers_and_stop(void **state)
{
    struct fx *f = *state;
    store *a = f->t[0], *b = f->t[1], *c = f->t[2];
    struct store_customer before[MAXIDS / 32];
    struct ids *all = calloc(1, sizeof *all);
    struct store_report_query q = { 0 };
    OK(a, store_period_parse(a, NULL, NULL, NULL, NULL, &q.period));
    OK(a, store_report_segment_members(a, &q, SEG_REGULAR, 0, take_row, all));
    assert_true(all->n > 4 && all->n < MAXIDS / 32);
    for (int i = 0; i < all->n; i++)
        OK(a, store_customer_get(a, all->id[i], &before[i]));
    struct store_campaign k;
    create(f, "Regulars", "regular", 0, "A=coupon:10.00,B=points:30", 3000, NULL, 0, &k);
    struct ids *m = members_of(a, "Regulars");
    assert_int_equal(m->n, all->n);
    int coupons = 0, bonus = 0, held = 0;
    char code[16] = "", owner[STORE_ID_LEN + 1] = "", stranger[STORE_ID_LEN + 1] = "";
    for (int i = 0; i < m->n; i++) {
        struct store_customer now;
        int j = 0;
        while (strcmp(before[j].id, m->id[i]) != 0)
            j++;
        OK(a, store_customer_get(a, m->id[i], &now));
        struct store_coupon cp = { 0 };
        store_coupon_list(a, m->id[i], coupon_of, &cp);
        if (strcmp(m->arm[i], "B") == 0) {
            assert_int_equal(now.points, before[j].points + 30);
            bonus++;
        } else {
            assert_int_equal(now.points, before[j].points);
        }
        if (strcmp(m->arm[i], "A") == 0) {
            assert_string_equal(cp.customer, m->id[i]);
            assert_int_equal(cp.discount, 1000);
            assert_int_equal(cp.expires, k.expires);
            snprintf(code, sizeof code, "%s", cp.code);
            snprintf(owner, sizeof owner, "%s", m->id[i]);
            coupons++;
        } else {
            assert_int_equal(cp.code[0], 0);
            snprintf(stranger, sizeof stranger, "%s", m->id[i]);
        }
        held += strcmp(m->arm[i], STORE_CAMPAIGN_HOLDOUT) == 0;
    }
    assert_true(coupons > 0 && bonus > 0 && held > 0);
    free(all);

    /* Once, at any till: B uses it, A hears of it. */
    sync_into(f, a, b);
    struct store_result r;
    assert_int_equal(store_coupon_redeem(b, f->barista, code, stranger, &r), -1);
    OK(b, store_coupon_redeem(b, f->barista, code, owner, &r));
    assert_int_equal(r.discount, 1000);
    assert_int_equal(store_coupon_redeem(b, f->barista, code, owner, &r), -1);
    sync_into(f, b, a);
    assert_int_equal(store_coupon_redeem(a, f->barista, code, owner, &r), -1);
    assert_non_null(strstr(store_error(a), "used already"));

    /* The member who bought since is no longer overdue, and stays in. */
    struct store_earn e = { .amount = 1500 };
    OK(a, store_earn(a, f->barista, owner, &e, &r));
    sync_into(f, a, b);
    struct ids *again = members_of(a, "Regulars");
    assert_int_equal(again->n, m->n);
    free(again);

    /* B stops it; C hears B's stop before A's coupons, A after: the same. */
    char other[16] = "";
    for (int i = 0; i < m->n && !other[0]; i++) {
        struct store_coupon cp = { 0 };
        store_coupon_list(a, m->id[i], coupon_of, &cp);
        if (cp.code[0] && strcmp(cp.code, code) != 0) {
            snprintf(other, sizeof other, "%s", cp.code);
            snprintf(owner, sizeof owner, "%s", m->id[i]);
        }
    }
    store_set_clock(b, NOW + DAY_MS);
    store_set_clock(a, NOW + DAY_MS);
    OK(b, store_campaign_stop(b, f->m.id, "regulars"));
    assert_int_equal(store_campaign_stop(b, f->m.id, "regulars"), -1);
    sync_origin(f, b, c, store_origin(b));
    sync_into(f, b, c);
    sync_into(f, b, a);
    same_digest(a, c);
    same_digest(a, b);
    if (other[0]) {
        assert_int_equal(store_coupon_redeem(a, f->barista, other, owner, &r), -1);
        assert_non_null(strstr(store_error(a), "expired"));
    }
    free(m);
}

static int count_offer(const struct store_campaign *k, const struct store_offer *o, void *arg)
{
    (void)k;
    *(int64_t *)arg = o->value;
    return 0;
}

/* A multiplier arm doubles the member's points while the campaign runs
 * (the kiosk is told of it), and not after the stop. */
static void test_multiplier(void **state)
{
    struct fx *f = *state;
    store *a = f->t[0];
    struct store_campaign k;
    create(f, "Double", "all", 0, "offer=multiplier:2", 0, NULL, 0, &k);
    struct ids *m = members_of(a, "Double");
    struct store_result r1, r2;
    struct store_earn e = { .amount = 2000 };
    int64_t told = 0;
    OK(a, store_campaign_offers(a, m->id[0], count_offer, &told));
    assert_int_equal(told, 2000);
    OK(a, store_earn(a, f->barista, m->id[0], &e, &r1));
    store_set_clock(a, NOW + 3600000);
    OK(a, store_campaign_stop(a, f->m.id, "Double"));
    told = 0;
    OK(a, store_campaign_offers(a, m->id[0], count_offer, &told));
    assert_int_equal(told, 0);
    OK(a, store_earn(a, f->barista, m->id[0], &e, &r2));
    assert_true(r2.points > 0);
    assert_int_equal(r1.points, 2 * r2.points);
    free(m);
}

struct msgs { store *s; int campaign, suppressed, coupon_told; };

/* Counts the campaign's messages, and those that tell the member their
 * own coupon: the message brings it, and its body names its code. */
static int count_msg(const struct store_message *msg, void *arg)
{
    struct msgs *n = arg;
    if (strncmp(msg->key, "msg:campaign:", 13) == 0) {
        n->campaign++;
        n->suppressed += msg->status == MSG_SUPPRESSED;
        struct store_coupon c;
        static struct store_rendered r;
        char shown[16];
        if (store_message_coupon(n->s, msg, &c) == 1 && strcmp(c.customer, msg->customer) == 0 &&
            store_message_render(n->s, msg, &r) == 0) {
            snprintf(shown, sizeof shown, "%.4s-%.4s", c.code, c.code + 4);
            n->coupon_told += strstr(r.body, shown) != NULL;
        }
    }
    return 0;
}

struct consent_count { store *s; int n; };

static int count_consent(const struct store_campaign_member *m, void *arg)
{
    struct consent_count *cc = arg;
    struct store_customer c;
    if (strcmp(m->arm, STORE_CAMPAIGN_HOLDOUT) != 0 && store_customer_get(cc->s, m->customer, &c) == 0 && c.consent)
        cc->n++;
    return 0;
}

/* Messages go to members of an arm who consented, none to the holdout;
 * a channel list without the counter leaves out those without e-mail
 * or SMS consent. */
static void test_messages_with_consent(void **state)
{
    struct fx *f = *state;
    store *a = f->t[0];
    struct store_campaign k;
    create(f, "Hello", "all", 0, "offer=coupon:5%", 2500, "winback", 0, &k);
    struct msgs n = { .s = a };
    struct store_message_filter mf = { .status = -1 };
    OK(a, store_message_list(a, &mf, count_msg, &n));
    struct consent_count cc = { a, 0 };
    OK(a, store_campaign_members(a, k.id, count_consent, &cc));
    int consented = cc.n;
    assert_true(consented > 0 && consented < 120);
    assert_int_equal(n.campaign, consented);
    assert_int_equal(n.suppressed, 0);
    assert_int_equal(n.coupon_told, consented);     /* each names the member's own coupon */
    create(f, "Mail only", "all", 0, "offer=coupon:5%", 0, "winback", STORE_CHANNEL_EMAIL, &k);
    struct msgs n2 = { .s = a };
    OK(a, store_message_list(a, &mf, count_msg, &n2));
    assert_true(n2.campaign - n.campaign < 120);
    struct store_campaign_spec bad = { .name = "x", .segment = "all", .narms = 1, .message = "party",
                                       .arm = { { .name = "offer", .offer = { .kind = OFFER_POINTS, .value = 1 } } },
                                       .expires = NOW + DAY_MS };
    assert_int_equal(store_campaign_create(a, f->m.id, &bad, NULL), -1);
}

/* Offers as typed. */
static void test_offer_parse(void **state)
{
    struct fx *f = *state;
    store *a = f->t[0];
    struct store_offer o;
    OK(a, store_offer_parse(a, "coupon:20%", &o));
    assert_int_equal(o.kind, OFFER_PERCENT);
    assert_int_equal(o.value, 20);
    OK(a, store_offer_parse(a, "coupon:10,50", &o));
    assert_int_equal(o.kind, OFFER_AMOUNT);
    assert_int_equal(o.value, 1050);
    OK(a, store_offer_parse(a, "points:50", &o));
    assert_int_equal(o.value, 50);
    OK(a, store_offer_parse(a, "multiplier:1.5", &o));
    assert_int_equal(o.value, 1500);
    OK(a, store_offer_parse(a, "reward:croissant", &o));
    assert_int_equal(o.kind, OFFER_REWARD);
    static const char *const BAD[] = { "coupon:0%", "coupon:101%", "coupon:", "points:0", "multiplier:1",
                                       "multiplier:11", "reward:Caviar", "gift:1", "coupon", NULL };
    for (int i = 0; BAD[i]; i++)
        assert_int_equal(store_offer_parse(a, BAD[i], &o), -1);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_offer_parse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audience_is_the_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arms_from_keyed_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offers_and_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiplier, setup, teardown),
        cmocka_unit_test_setup_teardown(test_messages_with_consent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
