/* figures.c - the summary's figures, described once: the name a
 * spreadsheet sees, the words a manager reads, what kind of number each is
 * and which way is good news. The report command and the dashboard both
 * present struct store_summary through this table, so a figure added or
 * changed here reaches both; each picks which to show, in its own order. */
#include <stddef.h>
#include <string.h>

#include "i18n.h"
#include "store.h"

#define FIG(key, label, short_label, kind, good, field) \
    { key, label, short_label, STORE_FIGURE_##kind, good, offsetof(struct store_summary, field) }

static const struct store_figure FIGURES[] = {
    FIG("members", N_("members"), N_("Members"), COUNT, 1, members),
    FIG("active_members", N_("active members"), N_("Active members"), COUNT, 1, active),
    FIG("new_members", N_("new members"), N_("New members"), COUNT, 1, new_members),
    FIG("visits", N_("visits"), N_("Visits"), COUNT, 1, visits),
    FIG("sales", N_("sales"), N_("Sales"), MONEY, 1, sales),
    FIG("average_order_value", N_("average order value"), N_("Avg order value"), MONEY, 1, aov),
    FIG("repeat_members", N_("members with 2+ visits"), N_("Repeat members"), COUNT, 1, repeaters),
    FIG("repeat_rate", N_("repeat purchase rate"), N_("Repeat rate"), PERCENT, 1, repeat_rate),
    FIG("purchase_frequency", N_("purchase frequency"), N_("Visits per member"), HUNDREDTHS, 1, frequency),
    FIG("previously_active", N_("active in the period before"), N_("Previously active"), COUNT, 0, prev_active),
    FIG("churned", N_("churned"), N_("Churned"), COUNT, -1, churned),
    FIG("churn_rate", N_("churn rate"), N_("Churn"), PERCENT, -1, churn),
    FIG("retention_rate", N_("retention rate"), N_("Retention"), PERCENT, 1, retention),
    FIG("lifespan_days", N_("average lifespan (days)"), N_("Lifespan (days)"), COUNT, 1, lifespan_days),
    FIG("clv", N_("customer lifetime value"), N_("CLV"), MONEY, 1, clv),
    FIG("points_issued", N_("points issued"), N_("Points issued"), COUNT, 0, points_issued),
    FIG("points_redeemed", N_("points redeemed"), N_("Points redeemed"), COUNT, 0, points_redeemed),
    FIG("points_expired", N_("points expired"), N_("Points expired"), COUNT, 0, points_expired),
    FIG("redemption_rate", N_("redemption rate"), N_("Redemption rate"), PERCENT, 1, redemption_rate),
    FIG("points_outstanding", N_("outstanding points (end)"), N_("Points outstanding"), COUNT, 0, points_outstanding),
    FIG("liability", N_("liability (end)"), N_("Liability"), MONEY, 0, liability),
    FIG("nps_answers", N_("NPS answers"), N_("NPS answers"), COUNT, 1, nps_answers),
    FIG("promoters", N_("promoters (9-10)"), NULL, COUNT, 1, promoters),
    FIG("passives", N_("passives (7-8)"), NULL, COUNT, 0, passives),
    FIG("detractors", N_("detractors (0-6)"), N_("Detractors"), COUNT, -1, detractors),
    FIG("nps", N_("NPS"), N_("NPS"), TENTHS, 1, nps),
};
#undef FIG

const struct store_figure *store_figures(int *n)
{
    *n = (int)(sizeof FIGURES / sizeof FIGURES[0]);
    return FIGURES;
}

const struct store_figure *store_figure(const char *key)
{
    for (size_t i = 0; i < sizeof FIGURES / sizeof FIGURES[0]; i++)
        if (strcmp(FIGURES[i].key, key) == 0)
            return &FIGURES[i];
    return NULL;
}

int64_t store_figure_value(const struct store_summary *s, const struct store_figure *f)
{
    int64_t v;
    memcpy(&v, (const char *)s + f->offset, sizeof v);
    return v;
}
