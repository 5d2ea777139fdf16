/* cmd_demo.c - tally demo seed: a realistic, deterministic history for
 * demos, tests and benchmarks (store/seed.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"

static const char USAGE[] = N_(
    "Usage: tally demo seed [--customers N] [--days D] [--seed S] [--end DATE]\n"
    "                       [--staff-pin PIN] [--no-campaign]       (manager)\n"
    "\n"
    "Writes a café's loyalty history of the last D days (default 365, up to\n"
    "now, or to the end of DATE) into a shop without customers: N members\n"
    "(default 1000) - regulars, occasional and rare visitors, members who drift\n"
    "away, new members joining over time - with purchases, birthdays and\n"
    "referral bonuses, redemptions, a few refunds and voids, NPS answers,\n"
    "win-back coupons, four baristas (Ola, Bogdan, Ioana, Gábor; PIN from\n"
    "--staff-pin, default 1111) and four rewards. Everything goes through\n"
    "the ledger's own rules. The same --seed (default 1), size and --end give\n"
    "the same history, and so the same reports; ids and card codes differ.\n"
    "About 20 events per member and year; 100,000 members take minutes.\n"
    "\n"
    "A history of 90 days or more also holds a past experiment, 'Come-back\n"
    "test': two months before the end, the occasional visitors were split\n"
    "into a holdout and two offers (a free croissant, 40 points) for four\n"
    "weeks, and the croissant brought more of them back ('tally report\n"
    "campaign'). Which members each part drew comes from the shop's secret,\n"
    "so with it the same seed gives the same history only in proportion;\n"
    "--no-campaign leaves it out.\n");

struct demo { struct cli *c; unsigned char secret[STORE_SECRET_BYTES]; bool tty; time_t start; };

static void make_card(void *arg, char card[STORE_ID_LEN + 1])
{
    struct demo *d = arg;
    char id[CARD_ID_LEN + 1];
    if (card_make(d->secret, id) != 0)
        id[0] = '\0';
    snprintf(card, STORE_ID_LEN + 1, "%s", id);
}

static void progress(void *arg, int day, int days)
{
    struct demo *d = arg;
    if (d->tty)
    {
        fputc('\r', stderr);
        fprintf(stderr, ngettext("%d of %d day written (%ld s)", "%d of %d days written (%ld s)", i18n_n(days)), day, days,
                (long)(time(NULL) - d->start));
    }
}

/* --customers, --days, --seed and --end into a->number[0..3]. */
static int seed_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *customers = cmd_opt(a, "customers"), *days = cmd_opt(a, "days"), *seed = cmd_opt(a, "seed"),
               *end = cmd_opt(a, "end"), *pin = cmd_opt(a, "staff-pin");
    int64_t *nc = &a->number[0], *nd = &a->number[1], *sv = &a->number[2], *end_ms = &a->number[3];
    *nc = 1000, *nd = 365, *sv = 1, *end_ms = 0;
    if (customers && decimal_parse(customers, 0, 1, 10000000, nc) != 0)
        return cli_fail(_("--customers takes a whole number from 1 to 10,000,000")), 2;
    if (days && decimal_parse(days, 0, 1, 3650, nd) != 0)
        return cli_fail(_("--days takes a whole number from 1 to 3650")), 2;
    if (seed && decimal_parse(seed, 0, 0, INT64_MAX / 10, sv) != 0)
        return cli_fail(_("--seed takes a whole number")), 2;
    if (pin && (strlen(pin) < 4 || strlen(pin) > 8 || strspn(pin, "0123456789") != strlen(pin)))
        return cli_fail(_("--staff-pin takes 4 to 8 digits")), 2;
    if (end) {
        int y, m, d;
        if (date_parse(end, &y, &m, &d) != 0)
            return cli_fail(_("'%s' is not a date: give it as YYYY-MM-DD"), end), 2;
        struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d + 1, .tm_isdst = -1 };
        *end_ms = (int64_t)mktime(&tm) * 1000;     /* the midnight after that day */
        if (*end_ms > (int64_t)time(NULL) * 1000)
            *end_ms = 0;     /* not into the future: up to now */
    }
    return 0;
}

static int seed(struct cli *c, struct cmd_args *a)
{
    int64_t nc = a->number[0], nd = a->number[1], sv = a->number[2], end_ms = a->number[3];
    const char *pin = cmd_opt(a, "staff-pin");
    bool no_campaign = cmd_flag(a, "no-campaign");
    struct demo d = { .c = c, .tty = isatty(STDERR_FILENO) && !c->json, .start = time(NULL) };
    if (store_shop_secret(c->s, d.secret) != 0)
        return cli_store_fail(c);
    struct store_seed_spec spec = {
        .customers = (int)nc, .days = (int)nd, .seed = (uint64_t)sv, .end = end_ms,
        .manager = c->who.id, .staff_pin = pin ? pin : "1111", .campaign = !no_campaign,
        .make_card = make_card, .progress = progress, .arg = &d,
    };
    struct store_seed_stats st;
    int rc = store_seed_demo(c->s, &spec, &st);
    if (d.tty)
        fputc('\n', stderr);
    if (rc != 0)
        return cli_store_fail(c);
    long secs = (long)(time(NULL) - d.start);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_int(&jb, "customers", st.customers);
        jb_key_int(&jb, "events", st.events);
        jb_key_int(&jb, "staff_added", st.staff);
        jb_key_int(&jb, "rewards_added", st.rewards);
        jb_key_str(&jb, "campaign", st.campaign);
        jb_key_int(&jb, "refused", st.failed);
        jb_key_int(&jb, "seconds", secs);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    char what[64], whom[64], when[64];
    snprintf(what, sizeof what, ngettext("%" PRId64 " event", "%" PRId64 " events", i18n_n(st.events)), st.events);
    snprintf(whom, sizeof whom, ngettext("for %" PRId64 " member", "for %" PRId64 " members", i18n_n(st.customers)),
             st.customers);
    snprintf(when, sizeof when, ngettext("over %" PRId64 " day", "over %" PRId64 " days", i18n_n(nd)), nd);
    /* TRANSLATORS: "Wrote 5400 events for 200 members over 90 days in 3 s.":
     * the three parts are the messages "%d events", "for %d members" and
     * "over %d days". */
    printf(_("Wrote %s %s %s in %ld s.\n"), what, whom, when, secs);
    if (st.staff) {
        snprintf(whom, sizeof whom, ngettext("%" PRId64 " barista", "%" PRId64 " baristas", i18n_n(st.staff)),
                 st.staff);
        snprintf(what, sizeof what, ngettext("%" PRId64 " reward", "%" PRId64 " rewards", i18n_n(st.rewards)),
                 st.rewards);
        /* TRANSLATORS: "Added 3 baristas (PIN 1111) and 4 rewards.": the
         * parts are the messages "%d baristas" and "%d rewards". */
        printf(_("Added %s (PIN %s) and %s.\n"), whom, pin ? pin : "1111", what);
    }
    if (st.campaign[0])
        /* TRANSLATORS: %s is the campaign's name, in the command as typed. */
        printf(_("Its past campaign: tally report campaign '%s'\n"), st.campaign);
    if (st.failed)
        printf(ngettext("%" PRId64 " transaction was refused by the rules, the first: %s\n",
                        "%" PRId64 " transactions were refused by the rules, the first: %s\n", i18n_n(st.failed)),
               st.failed, st.first_error);
    return 0;
}

static const struct cmd_entry DEMO_VERBS[] = {
    { .name = "seed", .check = seed_check, .store = CMD_OPEN, .login = CMD_MANAGER, .run = seed }, { 0 } };

const struct cmd_entry cmd_demo_entry = {
    .name = "demo", .summary = N_("write a realistic demo history into an empty shop"), .usage = USAGE,
    .options = "customers= days= seed= end= staff-pin= no-campaign", .min = 1, .max = 1,
    .count_error = N_("say 'seed'; see 'tally demo --help'"), .verbs = DEMO_VERBS,
};
