/* campaigns.h - campaigns and experiments: the part of the store's public
 * face (included by store.h) that acts on a segment and keeps what it did
 * measurable. See store/campaigns.c.
 *
 * A campaign is a "campaign" event (its definition; later one that stops
 * it). Its audience is fixed when it starts: the creating till writes one
 * "campaign_member" event per member (occasion campaign:ID:CUSTOMER) with
 * the member's arm, and through the ledger's ordinary events the arm's
 * offer: a customer-bound coupon, a bonus of points, or a multiplier on
 * the member's purchases until the campaign ends. A member's arm comes
 * from a keyed hash of the campaign and the customer (store_campaign_arm),
 * so any till computes the same assignment without talking to another;
 * the holdout gets nothing and is what the result is measured against. */
#ifndef TALLY_STORE_CAMPAIGNS_H
#define TALLY_STORE_CAMPAIGNS_H

#define STORE_CAMPAIGN_ARMS 6           /* variants of one campaign */
#define STORE_ARM_NAME_MAX 12           /* bytes of a variant's name */
#define STORE_CAMPAIGN_HOLDOUT "holdout" /* the arm of the members left out */

enum store_offer_kind {
    OFFER_NONE, OFFER_PERCENT, OFFER_AMOUNT, OFFER_REWARD, OFFER_POINTS, OFFER_MULTIPLIER
};
/* What one arm gets: coupon:20% (percent 20), coupon:10.00 (amount, minor
 * units), reward:NAME (a coupon worth the reward), points:N (a bonus),
 * multiplier:2 (thousandths: 2000, on purchases until the end). */
struct store_offer {
    int kind;
    int64_t value;
    char reward[STORE_ID_LEN + 1];      /* OFFER_REWARD: the reward's id */
};
/* Parses an offer as above; amounts in the shop's currency. */
int store_offer_parse(store *s, const char *text, struct store_offer *out);
/* The offer as people read it ("20% off", "Croissant", "50 points",
 * "points ×2"), amounts formatted for lang. */
void store_offer_text(store *s, const struct store_offer *o, const char *lang, char *out, size_t outsz);
/* The offer as typed (coupon:20%, reward:Croissant ...): JSON and CSV. */
void store_offer_code(store *s, const struct store_offer *o, char *out, size_t outsz);
/* What a coupon gives, as an offer (a reward, an amount or a percentage
 * off), for store_offer_text and store_offer_code (ledger.c). */
void store_coupon_offer(const struct store_coupon *c, struct store_offer *o);

struct store_campaign_arm {
    char name[STORE_ARM_NAME_MAX + 1];
    struct store_offer offer;
};

#define STORE_CHANNEL_COUNTER 1
#define STORE_CHANNEL_EMAIL 2
#define STORE_CHANNEL_SMS 4
#define STORE_CHANNELS_ALL 7

struct store_campaign {
    char id[STORE_ID_LEN + 1];
    char name[STORE_TEXT_MAX * 4 + 1];
    char segment[80];                   /* "at-risk" ... "tier:Gold", "all" */
    int64_t min_visits;                 /* 0: any */
    int narms;
    struct store_campaign_arm arm[STORE_CAMPAIGN_ARMS];
    int64_t holdout;                    /* hundredths of a percent: 1000 = 10 % */
    char message[16];                   /* a template's trigger, or "" */
    int channels;                       /* STORE_CHANNEL_ bits */
    int64_t started, expires;           /* unix ms */
    int64_t stopped;                    /* unix ms, 0: not stopped */
    int64_t members, held_out;          /* its audience, and how many of it are held out */
};

struct store_campaign_spec {
    const char *name;
    const char *segment;                /* as struct store_campaign */
    int64_t min_visits;
    int narms;                          /* 1 with --offer (arm "offer") */
    struct store_campaign_arm arm[STORE_CAMPAIGN_ARMS];
    int64_t holdout;                    /* hundredths of a percent, 0 to 5000 */
    int64_t expires;                    /* unix ms, in the future */
    const char *message;                /* a trigger's template, or NULL */
    int channels;                       /* 0: all */
};

/* Starts a campaign (manager): finds its audience now, with the rules of
 * 'tally report segments' over its default period (the last 30 days),
 * assigns each member an arm, issues each arm's offer and queues the
 * message where the member consented, all in one transaction. Refused: a
 * name in use, an unknown segment, tier, reward or template, an empty
 * audience. */
int store_campaign_create(store *s, const char *manager, const struct store_campaign_spec *spec,
                          struct store_campaign *out);
/* By id or name (case- and accent-insensitive). */
int store_campaign_get(store *s, const char *campaign, struct store_campaign *out);
/* Newest first. */
int store_campaign_list(store *s, int (*fn)(const struct store_campaign *, void *), void *arg);
/* Ends a running campaign now (manager; an event): its coupons and
 * multiplier stop working at every till that hears of it. */
int store_campaign_stop(store *s, const char *manager, const char *campaign);

struct store_campaign_member {
    char customer[STORE_ID_LEN + 1];
    char arm[STORE_ARM_NAME_MAX + 1];   /* a variant's name, or STORE_CAMPAIGN_HOLDOUT */
    char coupon[16];                    /* its coupon's code, or "" */
};
/* The audience as recorded, by customer id. */
int store_campaign_members(store *s, const char *campaign_id,
                           int (*fn)(const struct store_campaign_member *, void *), void *arg);
/* The arm the keyed hash (BLAKE2b keyed with the shop's secret, over the
 * campaign id and the customer id) gives a customer: holdout for a share
 * c->holdout of customers, else one of c->arm, evenly. */
int store_campaign_arm(store *s, const struct store_campaign *c, const char *customer,
                       char arm[STORE_ARM_NAME_MAX + 1]);
/* The offers of running campaigns that a customer has (the kiosk's scan):
 * fn gets each campaign and the member's arm's offer. */
int store_campaign_offers(store *s, const char *customer,
                          int (*fn)(const struct store_campaign *, const struct store_offer *, void *),
                          void *arg);

/* --- the result (campaign_report.c) ----------------------------------------
 * Per arm and for the holdout, over the campaign's window (its start to its
 * end, its stop or now, whichever is first): members; messages delivered
 * (sent, or told at the counter); offers used (coupons used; a points bonus
 * as given; a multiplier by members who bought while it ran); members who
 * visited; visits and sales per member (the reports' definitions: refunds
 * and voids count with the purchase). Each arm against the holdout: the
 * difference of the means with a 95 % confidence interval by Welch's t
 * (unequal variances, Welch-Satterthwaite degrees of freedom), for visits
 * and for sales; the verdict on visits; how many more members it would
 * take to tell (95 % confidence, 80 % power); the offer's cost beside the
 * extra sales. */
enum store_verdict {
    VERDICT_NONE,       /* the holdout's own row */
    VERDICT_TOO_FEW,    /* fewer than 2 members in the arm or the holdout */
    VERDICT_WORKED,     /* the whole interval above 0 */
    VERDICT_WORSE,      /* the whole interval below 0 */
    VERDICT_UNCLEAR     /* the interval holds 0: more_members more would tell */
};
struct store_lift {
    double diff, low, high, df;     /* per member; sales in minor units */
    bool ok;                        /* false: too few to compute an interval */
};
struct store_arm_result {
    char arm[STORE_ARM_NAME_MAX + 1];   /* a variant, or STORE_CAMPAIGN_HOLDOUT */
    struct store_offer offer;           /* OFFER_NONE for the holdout */
    int64_t members, messages, used, visitors;
    int64_t visits, sales;              /* in the window, all its members together */
    double visits_mean, sales_mean;     /* per member (sales in minor units) */
    double visits_var, sales_var;       /* sample variances, n - 1 below */
    int64_t cost;                       /* what the offers used cost, minor units; STORE_NA: not known */
    int64_t extra_sales;                /* (sales per member - the holdout's) x members */
    struct store_lift visits_lift, sales_lift;
    int verdict;                        /* enum store_verdict */
    double more_members;                /* VERDICT_UNCLEAR: about how many more; INFINITY: no difference seen */
};
struct store_campaign_result {
    struct store_campaign campaign;
    int64_t from, to;                   /* the window, unix ms */
    int narms;                          /* the variants, then the holdout (if any) last */
    struct store_arm_result arm[STORE_CAMPAIGN_ARMS + 1];
};
int store_report_campaign(store *s, const char *campaign, struct store_campaign_result *out);

#endif
