#!/usr/bin/env python3
"""welch_oracle.py - the expected figures of test_util.c's Welch cases,
worked out apart from util/stats.c: the sample means and variances by
Python's statistics module, the Welch-Satterthwaite degrees of freedom
from the textbook formula, and the t quantile by integrating the t
density (Simpson's rule) and bisecting, not by the incomplete beta
function util/stats.c uses. Run it to print the figures the test holds."""
import math
import statistics

STEPS = [20000]     # Simpson's intervals; fewer for a quicker, coarser answer

def t_pdf(x, df):
    c = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi)
    return c * (1 + x * x / df) ** (-(df + 1) / 2)

def t_cdf(x, df, steps=STEPS[0]):
    # P(T <= x) = 1/2 + integral from 0 to x of the density
    h = x / steps
    s = t_pdf(0, df) + t_pdf(x, df)
    for i in range(1, steps):
        s += (4 if i % 2 else 2) * t_pdf(i * h, df)
    return 0.5 + s * h / 3

def t_quantile(p, df):
    lo, hi = 0.0, 200.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if t_cdf(mid, df, STEPS[0]) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2

def welch(a, b, level=0.95):
    m1, m2 = statistics.mean(a), statistics.mean(b)
    v1, v2 = statistics.variance(a), statistics.variance(b)
    n1, n2 = len(a), len(b)
    se = math.sqrt(v1 / n1 + v2 / n2)
    df = (v1 / n1 + v2 / n2) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v2 / n2) ** 2 / (n2 - 1))
    t = t_quantile(0.5 + level / 2, df)
    return m1, v1, n1, m2, v2, n2, m1 - m2, se, df, m1 - m2 - t * se, m1 - m2 + t * se

CASES = {
    # the same visits in both groups, shuffled: no effect
    "no_effect": ([1, 2, 0, 1, 3, 1, 2, 0, 1, 2, 1, 0], [2, 1, 1, 0, 2, 1, 3, 1, 0, 1, 0, 2]),
    # the offer's members came back far more: a clear effect, unequal sizes and spreads
    "clear_effect": ([3, 4, 2, 5, 3, 4, 3, 5, 4, 3, 2, 4, 6, 3, 4, 5, 3, 4, 2, 4], [1, 0, 1, 2, 0, 1, 1, 0, 2]),
    # two and three members: a wide interval with few degrees of freedom
    "tiny_sample": ([2, 5], [0, 1, 0]),
}

if __name__ == "__main__":
    for p, df in ((0.975, 1), (0.975, 10), (0.975, 3.5), (0.95, 30)):
        print(f"t_quantile({p}, {df}) = {t_quantile(p, df):.10f}")
    for name, (a, b) in CASES.items():
        r = welch(a, b)
        print(name, "mean1 %.10f var1 %.10f n1 %d mean2 %.10f var2 %.10f n2 %d" % r[:6])
        print("   diff %.10f se %.10f df %.10f low %.10f high %.10f" % r[6:])
