/* cmd_campaign.c - tally campaign: act on a segment (create, list, show,
 * stop). The campaign itself is store/campaigns.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

static const char USAGE[] = N_(
    "Usage: tally campaign create NAME --segment SEGMENT [--min-visits N]\n"
    "                             (--offer OFFER | --variants \"A=OFFER,B=OFFER\")\n"
    "                             --expires 30d|YYYY-MM-DD [--holdout 10%]\n"
    "                             [--message TEMPLATE] [--channels counter,email,sms]\n"
    "       tally campaign list\n"
    "       tally campaign show NAME [--members]\n"
    "       tally campaign stop NAME\n"
    "(manager)\n\n"
    "A campaign gives the members of a segment an offer, once, and keeps a\n"
    "holdout group that gets nothing, to measure what the offer changed.\n"
    "  SEGMENT  at-risk, lapsed, new, high-value, regular, occasional (as\n"
    "           'tally report segments' has them now, over the last 30 days),\n"
    "           tier:NAME (the tier now) or all; --min-visits N keeps members\n"
    "           with N visits or more. The audience is fixed at the start.\n"
    "  OFFER    coupon:20% or coupon:10.00 (a coupon for the member alone,\n"
    "           used once at any till until the end), reward:NAME (a coupon\n"
    "           for a reward), points:N (a bonus now), multiplier:2 (on the\n"
    "           member's purchases until the end).\n"
    "  --variants splits the audience evenly into arms with their own offer.\n"
    "  --holdout  the share that gets nothing (default 10%, 0% to 50%). Who\n"
    "           is held out or in which arm comes from a keyed hash of the\n"
    "           campaign and the customer: the same on every till.\n"
    "  --message  a message template ('tally message template list') sent to\n"
    "           members who consented, by the first of --channels they agreed\n"
    "           to; {reward} is the offer, {days} the days it runs.\n"
    "Stopping ends the offers at every till; coupons stop working.\n");

/* "30d", "8w" from today, or a date: the end of that local day. */
static int parse_end(const char *text, int64_t now_ms, int64_t *out)
{
    int y, m, d;
    char unit = 0, extra;
    int n = 0;
    struct tm tm;
    if (date_parse(text, &y, &m, &d) == 0) {
        tm = (struct tm){ .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };
    } else if (sscanf(text, "%d%c%c", &n, &unit, &extra) == 2 && n > 0 && n <= 3650 && (unit == 'd' || unit == 'w')) {
        time_t t = (time_t)(now_ms / 1000);
        localtime_r(&t, &tm);
        tm.tm_mday += unit == 'w' ? 7 * n : n;
    } else {
        return -1;
    }
    tm.tm_hour = 23;
    tm.tm_min = 59;
    tm.tm_sec = 59;
    tm.tm_isdst = -1;
    *out = (int64_t)mktime(&tm) * 1000 + 999;
    return 0;
}

static int parse_channels(const char *text, int *out)
{
    *out = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (strcmp(w, "counter") == 0)
            *out |= STORE_CHANNEL_COUNTER;
        else if (strcmp(w, "email") == 0)
            *out |= STORE_CHANNEL_EMAIL;
        else if (strcmp(w, "sms") == 0)
            *out |= STORE_CHANNEL_SMS;
        else
            return -1;
    }
    return *out ? 0 : -1;
}

/* "A=coupon:20%,B=reward:Croissant": an arm per comma. */
static int parse_variants(struct cli *c, const char *text, struct store_campaign_spec *spec)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", text);
    spec->narms = 0;
    for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(w, '=');
        if (!eq || eq == w || eq - w > STORE_ARM_NAME_MAX)
            return cli_fail(_("give variants as NAME=OFFER, separated by commas: \"A=coupon:20%%,B=points:50\"")), 2;
        if (spec->narms == STORE_CAMPAIGN_ARMS)
            return cli_fail(_("at most %d variants"), STORE_CAMPAIGN_ARMS), 2;
        struct store_campaign_arm *arm = &spec->arm[spec->narms++];
        snprintf(arm->name, sizeof arm->name, "%.*s", (int)(eq - w), w);
        if (store_offer_parse(c->s, eq + 1, &arm->offer) != 0)
            return cli_store_fail(c);
    }
    if (spec->narms < 2)
        return cli_fail(_("give at least two variants, or one --offer")), 2;
    return 0;
}

static const char *status_text(const struct store_campaign *k, int64_t now)
{
    if (k->stopped)
        return C_("campaign", "stopped");
    return now >= k->expires ? C_("campaign", "ended") : C_("campaign", "running");
}

static const char *status_code(const struct store_campaign *k, int64_t now)
{
    return k->stopped ? "stopped" : now >= k->expires ? "ended" : "running";
}

static void channels_text(int ch, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s%s%s%s%s", ch & STORE_CHANNEL_COUNTER ? "counter" : "",
             ch & STORE_CHANNEL_COUNTER && ch & 6 ? "," : "", ch & STORE_CHANNEL_EMAIL ? "email" : "",
             ch & STORE_CHANNEL_EMAIL && ch & STORE_CHANNEL_SMS ? "," : "", ch & STORE_CHANNEL_SMS ? "sms" : "");
}

struct arm_counts { const struct store_campaign *k; int64_t n[STORE_CAMPAIGN_ARMS]; };

static int count_arm(const struct store_campaign_member *m, void *arg)
{
    struct arm_counts *a = arg;
    for (int i = 0; i < a->k->narms; i++)
        if (strcmp(m->arm, a->k->arm[i].name) == 0)
            a->n[i]++;
    return 0;
}

static void json_campaign(struct cli *c, struct jbuf *jb, const struct store_campaign *k, const struct arm_counts *a)
{
    char when[32], code[128], ch[32];
    int64_t now = store_now(c->s);
    jb_obj_begin(jb);
    jb_key_str(jb, "id", k->id);
    jb_key_str(jb, "name", k->name);
    jb_key_str(jb, "status", status_code(k, now));
    jb_key_str(jb, "segment", k->segment);
    jb_key_int(jb, "min_visits", k->min_visits);
    jb_key(jb, "holdout_percent");
    snprintf(when, sizeof when, "%" PRId64 ".%02" PRId64, k->holdout / 100, k->holdout % 100);
    jb_raw(jb, when);
    jb_key_str(jb, "message", k->message);
    jb_key(jb, "channels");
    channels_text(k->channels, ch, sizeof ch);
    jb_str(jb, ch);
    jb_key_int(jb, "started", k->started);
    jb_key_int(jb, "expires", k->expires);
    jb_key_int(jb, "stopped", k->stopped);
    jb_key_int(jb, "members", k->members);
    jb_key_int(jb, "held_out", k->held_out);
    jb_key(jb, "arms");
    jb_arr_begin(jb);
    for (int i = 0; i < k->narms; i++) {
        jb_obj_begin(jb);
        jb_key_str(jb, "name", k->arm[i].name);
        jb_key(jb, "offer");
        store_offer_code(c->s, &k->arm[i].offer, code, sizeof code);
        jb_str(jb, code);
        if (a) {
            jb_key_int(jb, "members", a->n[i]);
        }
        jb_obj_end(jb);
    }
    jb_arr_end(jb);
    jb_obj_end(jb);
}

/* The table of 'campaign list': the code of the segment, as it was given
 * (a key the table does not translate), the dates in a column of their own
 * wide enough for the two spaces before the members. */
static const struct out_col LIST_COLS[] = {
    { "name", NULL, OUT_TEXT, false }, { "status", NULL, OUT_TEXT, false },
    { "segment_code", NULL, OUT_TEXT, false }, { "dates", NULL, OUT_TEXT, false }, { "members", NULL, OUT_TEXT, false },
};
static const int LIST_WIDTHS[] = { 24, 10, 14, 24, 0 };

struct list_out { struct cli *c; struct jbuf *jb; struct out *o; };

static int print_listed(const struct store_campaign *k, void *arg)
{
    struct list_out *lo = arg;
    if (lo->jb) {
        json_campaign(lo->c, lo->jb, k, NULL);
        return 0;
    }
    char from[32], to[32], dates[80], members[128];
    cli_time(k->started, from, sizeof from);
    cli_time(k->stopped ? k->stopped : k->expires, to, sizeof to);
    snprintf(dates, sizeof dates, "%.10s – %.10s", from, to);
    snprintf(members, sizeof members, ngettext("%" PRId64 " member\n", "%" PRId64 " members\n", i18n_n(k->members)),
             k->members);
    members[strcspn(members, "\n")] = '\0';
    out_row(lo->o, (struct out_val[]){ { 0, k->name }, { 0, status_text(k, store_now(lo->c->s)) }, { 0, k->segment },
                                       { 0, dates }, { 0, members } });
    return 0;
}

static const struct out_col MEMBER_COLS[] = {
    { "customer", NULL, OUT_TEXT, false }, { "arm", NULL, OUT_TEXT, false }, { "coupon", NULL, OUT_TEXT, false },
};
static const int MEMBER_WIDTHS[] = { 13, 13, 0 };

static int print_member(const struct store_campaign_member *m, void *arg)
{
    struct list_out *lo = arg;
    struct jbuf *jb = lo->jb;
    if (!jb) {
        out_row(lo->o, (struct out_val[]){ { 0, m->customer }, { 0, m->arm }, { 0, m->coupon } });
        return 0;
    }
    jb_obj_begin(jb);
    jb_key_str(jb, "customer", m->customer);
    jb_key_str(jb, "arm", m->arm);
    jb_key_str(jb, "coupon", m->coupon);
    jb_obj_end(jb);
    return 0;
}

/* The arms under 'campaign show', indented two spaces: an empty first
 * column one wide, then the gap. */
static const struct out_col ARM_COLS[] = {
    { "indent", NULL, OUT_TEXT, false }, { "arm", NULL, OUT_TEXT, false }, { "offer", NULL, OUT_TEXT, false },
    { "members", NULL, OUT_TEXT, false },
};
static const int ARM_WIDTHS[] = { 1, 12, 30, 0 };

static int show(struct cli *c, struct cmd_args *args)
{
    const char *name = args->pos[0];
    bool members = cmd_flag(args, "members");
    struct store_campaign k;
    if (store_campaign_get(c->s, name, &k) != 0)
        return cli_store_fail(c);
    if (members) {
        struct jbuf jb;
        struct out o;
        struct list_out lo = { c, cli_list_begin(c, &jb), &o };
        out_begin_plain(&o, c, MEMBER_COLS, MEMBER_WIDTHS, NCOLS(MEMBER_COLS));
        return out_list_end(&o, &jb, store_campaign_members(c->s, k.id, print_member, &lo));
    }
    struct arm_counts a = { .k = &k };
    if (store_campaign_members(c->s, k.id, count_arm, &a) != 0)
        return cli_store_fail(c);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        json_campaign(c, &jb, &k, &a);
        return cli_print_json(&jb);
    }
    char from[32], to[32], stopped[32], offer[256], ch[32];
    int64_t now = store_now(c->s);
    cli_time(k.started, from, sizeof from);
    cli_time(k.expires, to, sizeof to);
    printf(_("Campaign:  %s (%s)\n"), k.name, status_text(&k, now));
    printf(_("Segment:   %s"), k.segment);
    if (k.min_visits > 0)
        printf(ngettext(", %" PRId64 " visit or more", ", %" PRId64 " visits or more", i18n_n(k.min_visits)), k.min_visits);
    printf("\n");
    printf(_("Runs:      %s – %s\n"), from, to);
    if (k.stopped) {
        cli_time(k.stopped, stopped, sizeof stopped);
        printf(_("Stopped:   %s\n"), stopped);
    }
    channels_text(k.channels, ch, sizeof ch);
    if (k.message[0])
        printf(_("Message:   template %s by %s\n"), k.message, ch);
    printf(ngettext("Members:   %" PRId64 ", of whom %" PRId64 " held out (%" PRId64 "%%)\n",
                    "Members:   %" PRId64 ", of whom %" PRId64 " held out (%" PRId64 "%%)\n", i18n_n(k.members)),
           k.members, k.held_out, k.holdout / 100);
    struct out o;
    out_begin_plain(&o, c, ARM_COLS, ARM_WIDTHS, NCOLS(ARM_COLS));
    for (int i = 0; i < k.narms; i++) {
        char count[128];
        store_offer_text(c->s, &k.arm[i].offer, c->lang, offer, sizeof offer);
        snprintf(count, sizeof count, ngettext("%" PRId64 " member\n", "%" PRId64 " members\n", i18n_n(a.n[i])),
                 a.n[i]);
        count[strcspn(count, "\n")] = '\0';
        out_row(&o, (struct out_val[]){ { 0, "" }, { 0, k.arm[i].name }, { 0, offer }, { 0, count } });
    }
    return out_end(&o, 0, NULL, NULL);
}

static int create(struct cli *c, struct cmd_args *a)
{
    const char *segment = cmd_opt(a, "segment"), *min_visits = cmd_opt(a, "min-visits"), *offer = cmd_opt(a, "offer"),
               *variants = cmd_opt(a, "variants"), *expires = cmd_opt(a, "expires"), *holdout = cmd_opt(a, "holdout"),
               *message = cmd_opt(a, "message"), *channels = cmd_opt(a, "channels");
    const char *name = a->pos[0];
    struct store_campaign_spec spec = { .name = name, .segment = segment, .message = message, .holdout = 1000 };
    if (!segment)
        return cli_fail(_("say who the campaign is for: --segment SEGMENT")), 2;
    if (!offer == !variants)
        return cli_fail(_("give either --offer or --variants")), 2;
    if (!expires)
        return cli_fail(_("say how long the campaign runs: --expires 30d or a date")), 2;
    if (parse_end(expires, store_now(c->s), &spec.expires) != 0)
        return cli_fail(_("give the end as a number of days or weeks (30d, 4w) or a date (YYYY-MM-DD)")), 2;
    if (min_visits && decimal_parse(min_visits, 0, 0, 100000, &spec.min_visits) != 0)
        return cli_fail(_("--min-visits is a number of visits, 0 or more")), 2;
    if (holdout) {
        size_t len = strlen(holdout);
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(len && holdout[len - 1] == '%' ? len - 1 : len), holdout);
        if (decimal_parse(num, 2, 0, 5000, &spec.holdout) != 0)
            return cli_fail(_("the holdout is a share from 0%% to 50%%, like 10%%")), 2;
    }
    if (channels && parse_channels(channels, &spec.channels) != 0)
        return cli_fail(_("give channels as a list of counter, email and sms: --channels email,sms")), 2;
    if (variants) {
        int rc = parse_variants(c, variants, &spec);
        if (rc != 0)
            return rc;
    } else {
        spec.narms = 1;
        snprintf(spec.arm[0].name, sizeof spec.arm[0].name, "offer");
        if (store_offer_parse(c->s, offer, &spec.arm[0].offer) != 0)
            return cli_store_fail(c);
    }
    struct store_campaign k;
    if (store_campaign_create(c->s, c->who.id, &spec, &k) != 0)
        return cli_store_fail(c);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        json_campaign(c, &jb, &k, NULL);
        return cli_print_json(&jb);
    }
    printf(ngettext("Campaign %s started for %" PRId64 " member (%" PRId64 " held out).\n",
                    "Campaign %s started for %" PRId64 " members (%" PRId64 " held out).\n", i18n_n(k.members)),
           k.name, k.members, k.held_out);
    return 0;
}

static int list(struct cli *c, struct cmd_args *a)
{
    (void)a;
    struct jbuf jb;
    struct out o;
    struct list_out lo = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, LIST_COLS, LIST_WIDTHS, NCOLS(LIST_COLS));
    return out_list_end(&o, &jb, store_campaign_list(c->s, print_listed, &lo));
}

static int stop(struct cli *c, struct cmd_args *a)
{
    if (store_campaign_stop(c->s, c->who.id, a->pos[0]) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Campaign %s stopped: its offers end at every till.\n"), a->pos[0]);
    return 0;
}

/* Every verb is a manager's; all but list name a campaign. */
#define MANAGER_ON_STORE .store = CMD_OPEN, .login = CMD_MANAGER
#define NAMED .min = 1, .max = 1, .count_error = N_("give the campaign's name")
static const struct cmd_entry CAMPAIGN_VERBS[] = {
    { .name = "create", NAMED, MANAGER_ON_STORE, .run = create },
    { .name = "list", .max = -1, MANAGER_ON_STORE, .run = list },
    { .name = "show", NAMED, MANAGER_ON_STORE, .run = show },
    { .name = "stop", NAMED, MANAGER_ON_STORE, .run = stop },
    { 0 } };

const struct cmd_entry cmd_campaign_entry = {
    .name = "campaign", .summary = N_("act on a segment with an offer, and keep a holdout to measure it"),
    .usage = USAGE,
    .options = "segment= min-visits= offer= variants= expires= holdout= message= channels= members",
    .min = 1, .max = 2, .count_error = N_("say 'create', 'list', 'show' or 'stop'; see 'tally campaign --help'"),
    .verbs = CAMPAIGN_VERBS,
};
