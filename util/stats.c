/* stats.c - the difference of two means with its confidence interval,
 * by Welch's t (unequal variances), for the campaign report: how much
 * more an arm's members did than the holdout's, and how sure that is.
 *
 * The t distribution's quantile is found by bisection on its CDF, which is
 * the regularized incomplete beta function (a continued fraction, Lentz's
 * method): exact to far more digits than a report shows, and free of
 * tables. Statistics, not money: doubles are fine here. */
#include <math.h>

#include "util.h"

/* Continued fraction of the incomplete beta function. */
static double beta_cf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / (fabs(d) < tiny ? tiny : d);
    double h = d;
    for (int m = 1; m <= 300; m++) {
        double m2 = 2.0 * m, aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        h *= d * c;
        aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + aa * d;
        d = 1.0 / (fabs(d) < tiny ? tiny : d);
        c = 1.0 + aa / c;
        c = fabs(c) < tiny ? tiny : c;
        double delta = d * c;
        h *= delta;
        if (fabs(delta - 1.0) < 1e-15)
            break;
    }
    return h;
}

/* I_x(a, b). */
static double beta_inc(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * beta_cf(a, b, x) / a;
    return 1.0 - front * beta_cf(b, a, 1.0 - x) / b;
}

double t_cdf(double t, double df)
{
    double tail = 0.5 * beta_inc(df / 2.0, 0.5, df / (df + t * t));
    return t >= 0 ? 1.0 - tail : tail;
}

double t_quantile(double p, double df)
{
    if (p <= 0.0 || p >= 1.0 || !(df > 0))
        return NAN;
    double lo = -1e3, hi = 1e3;
    for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
        double mid = (lo + hi) / 2.0;
        if (t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2.0;
}

int welch(double mean1, double var1, long long n1, double mean2, double var2, long long n2, double level,
          struct welch *out)
{
    out->diff = mean1 - mean2;
    out->se = out->df = out->low = out->high = NAN;
    if (n1 < 2 || n2 < 2 || !(level > 0 && level < 1))
        return -1;
    double a = var1 / (double)n1, b = var2 / (double)n2;
    out->se = sqrt(a + b);
    if (out->se == 0) {             /* no spread at all: the difference is what it is */
        out->df = (double)(n1 + n2 - 2);
        out->low = out->high = out->diff;
        return 0;
    }
    out->df = (a + b) * (a + b) / (a * a / (double)(n1 - 1) + b * b / (double)(n2 - 1));
    double t = t_quantile(0.5 + level / 2.0, out->df);
    out->low = out->diff - t * out->se;
    out->high = out->diff + t * out->se;
    return 0;
}

double welch_members_needed(double diff, double var1, long long n1, double var2, long long n2)
{
    /* Per member of the arm, at the arm's share against the holdout as it
     * is, for 95 % confidence and 80 % power: n1 = (z.975 + z.80)^2 *
     * (var1 + var2 / r) / diff^2 with r = n2 / n1; the holdout grows with it. */
    if (!(fabs(diff) > 0) || n1 < 1 || n2 < 1)
        return INFINITY;
    const double z = 1.959963984540054 + 0.8416212335729143;
    double r = (double)n2 / (double)n1, need1 = z * z * (var1 + var2 / r) / (diff * diff);
    double more = need1 * (1.0 + r) - (double)(n1 + n2);
    return more > 0 ? ceil(more) : 0;
}
