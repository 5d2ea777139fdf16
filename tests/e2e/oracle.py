#!/usr/bin/env python3
"""oracle.py - recomputes tally's reports from the event log alone.

Written apart from store/report.c and store/rollup.c, in another language,
from the definitions in the README and 'tally report --help': it reads the
events as 'tally events --format json' exports them, works out the summary,
segments, tiers, rewards, staff, tills, messages and day reports for the periods given and
every campaign's result, asks tally for the same reports as JSON, and
compares every figure. Prints one line per
difference and a last line "N figures compared, M differ"; exits 1 if any
differ.

    oracle.py TALLY LOCAL_ORIGIN [--tamper] PERIOD... -- DAY...

PERIOD is FIRST:LAST (local dates, both included); DAY is a local date.
The time zone is the process's TZ, as tally's. --tamper changes one figure
tally reported before comparing, to show the comparison can fail
(--tamper-messages: one of the messages report; --tamper-campaign: one of
the first campaign's; --tamper-rewards: one of the rewards report's).
"""
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit"))
import welch_oracle as w  # noqa: E402 (tests/unit: the Welch's t the unit tests check against)

w.STEPS[0] = 2000

DAY_MS = 86400000
ISSUING = ("earn", "bonus", "enrol", "adjust")
REDEEMING = ("redeem", "pay")
TRANSACTIONS = ("earn", "redeem", "pay", "coupon_use")
NA = None


def rnd(num, den):
    """num / den rounded half away from zero (den > 0)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def rate(num, den):
    """Tenths of a percent, or NA."""
    return rnd(num * 1000, den) if den > 0 else NA


def money(text, digits):
    neg = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    v = int(whole) * 10 ** digits + (int(frac.ljust(digits, "0")) if digits else 0)
    return -v if neg else v


def midnight(d):
    """Local midnight starting date d, in ms."""
    return int(time.mktime((d.year, d.month, d.day, 0, 0, 0, 0, 0, -1))) * 1000


class Ledger:
    def __init__(self, events, digits):
        self.ev = {}
        for e in events:
            e["credit"] = money(e["credit"], digits)
            e["spend"] = money(e["spend"], digits)
            self.ev[e["event"]] = e
        # Once-per-occasion: the earliest by (hlc, origin) counts.
        winner = {}
        for e in self.ev.values():
            k = e["occasion"]
            if k and (k not in winner or (e["hlc"], origin(e)) < (winner[k]["hlc"], origin(winner[k]))):
                winner[k] = e
        for e in self.ev.values():
            e["counts"] = not e["occasion"] or winner[e["occasion"]] is e
            e["opening"] = e["type"] == "adjust" and bool(e["data"].get("opening"))
        # Corrections on their lot: the event they refer to, or its own
        # reference when it has one (the void of a refund: the purchase).
        self.corr = {}
        for e in self.ev.values():
            if "ref" in e and e["counts"] and e["ref"] in self.ev:
                l1 = self.ev[e["ref"]]
                lot = self.ev.get(l1.get("ref"), l1) if "ref" in l1 else l1
                e["lot"] = lot
                self.corr.setdefault(lot["event"], []).append(e)
        # A purchase is a visit unless voided or refunded in full. Refunds
        # made at tills cut off from each other may come to more than it,
        # and a void of it may meet a void of its refund: then it counts
        # for nothing - no sale, and no points below zero. The points that
        # differ from the plain sum ("fix") stand in the balances from the
        # latest of its events on ("fixed_at").
        for e in self.ev.values():
            if e["type"] == "earn":
                cs = self.corr.get(e["event"], [])
                net = e["spend"] + sum(c["spend"] for c in cs)
                voided = any(c["type"] == "void" and c["ref"] == e["event"] for c in cs)
                gone = voided or net <= 0
                e["net"] = 0 if gone else net
                e["visit"] = not gone
                points = e["points"] + sum(c["points"] for c in cs)
                e["fix"] = (0 if gone or points < 0 else points) - points
                e["fixed_at"] = max([e["wall"]] + [c["wall"] for c in cs])
        # Members: the earliest enrolment; they join then, or at their
        # first purchase if that came first.
        self.members = {}
        for e in sorted(self.ev.values(), key=lambda x: x["wall"]):
            c = e["customer"]
            if e["type"] == "enrol" and c not in self.members:
                self.members[c] = {"enrolled": e["wall"], "till": origin(e)}
        for e in self.ev.values():
            m = self.members.get(e["customer"])
            if e["type"] == "earn" and m is not None:
                m["joined"] = min(m.get("joined", m["enrolled"]), e["wall"])
        for m in self.members.values():
            m.setdefault("joined", m["enrolled"])
        self.staff = lww(self.ev.values(), "staff", "id")
        settings = lww(self.ev.values(), "setting", "key")
        self.pay_rate = int(settings.get("points.pay_rate", {}).get("value", 100))
        self.digits = digits

    def events(self):
        return self.ev.values()


def origin(e):
    return e["event"].split(":")[0]


def lww(events, type_, key):
    """Last writer wins by (hlc, origin) per key of an entity's events."""
    out = {}
    for e in sorted((e for e in events if e["type"] == type_), key=lambda x: (x["hlc"], origin(x))):
        out.setdefault(e["data"][key], {}).update(e["data"])
    return out


# --- summary -------------------------------------------------------------------

def summary(L, a, b, till, days):
    """The figures of [a, b) (ms), churn against the period before."""
    f = {}
    inside = lambda w: a <= w < b
    at = lambda e: not till or origin(e) == till
    joined = [m["joined"] for m in L.members.values() if not till or m["till"] == till]
    f["members"] = sum(1 for j in joined if j < b)
    f["new_members"] = sum(1 for j in joined if a <= j < b)

    def active(x, y):
        per = {}
        for e in L.events():
            if e["type"] == "earn" and e["visit"] and x <= e["wall"] < y and at(e):
                per[e["customer"]] = per.get(e["customer"], 0) + 1
        return per
    now, before = active(a, b), active(a - (b - a), a)
    f["visits"] = sum(now.values())
    f["active_members"] = len(now)
    f["repeat_members"] = sum(1 for v in now.values() if v >= 2)
    f["sales"] = sum(e["net"] for e in L.events() if e["type"] == "earn" and inside(e["wall"]) and at(e))
    f["average_order_value"] = rnd(f["sales"], f["visits"]) if f["visits"] else NA
    f["repeat_rate"] = rate(f["repeat_members"], f["active_members"])
    f["purchase_frequency"] = rnd(f["visits"] * 100, f["active_members"]) if now else NA
    f["previously_active"] = len(before)
    f["churned"] = sum(1 for c in before if c not in now)
    f["churn_rate"] = rate(f["churned"], len(before))
    f["retention_rate"] = NA if f["churn_rate"] is NA else 1000 - f["churn_rate"]
    f["lifespan_days"] = rnd(days * len(before), f["churned"]) if f["churned"] else NA
    f["clv"] = rnd(f["sales"] * len(before), len(now) * f["churned"]) if f["churned"] and now else NA
    issued = redeemed = expired = 0
    for e in L.events():
        if not e["counts"] or not e["customer"] or e["opening"]:
            continue
        lot = e.get("lot", e) if e["type"] in ("refund", "void") else e
        if e["type"] in ("refund", "void") and "lot" not in e:
            continue
        if not inside(lot["wall"]) or not at(lot) or lot["opening"]:
            continue
        if lot["type"] in ISSUING:
            issued += e["points"] + (e.get("fix", 0) if e is lot else 0)
        if lot["type"] in REDEEMING:
            redeemed -= e["points"]
        if e["type"] == "expire":
            expired -= e["points"]
    f["points_issued"], f["points_redeemed"], f["points_expired"] = issued, redeemed, expired
    f["redemption_rate"] = rate(redeemed, issued) if issued > 0 else NA
    f["points_outstanding"] = sum(e["points"] for e in L.events()
                                  if e["counts"] and e["customer"] and e["wall"] < b) + \
        sum(e.get("fix", 0) for e in L.events() if e.get("fixed_at", b) < b)
    f["liability"] = rnd(f["points_outstanding"] * 10 ** L.digits, L.pay_rate)
    answers = [e for e in L.events() if e["type"] == "nps" and e["counts"] and e["customer"]
               and inside(e["wall"]) and at(e)]
    f["nps_answers"] = len(answers)
    f["promoters"] = sum(1 for e in answers if e["data"]["score"] >= 9)
    f["detractors"] = sum(1 for e in answers if e["data"]["score"] <= 6)
    f["passives"] = f["nps_answers"] - f["promoters"] - f["detractors"]
    f["nps"] = rate(f["promoters"] - f["detractors"], f["nps_answers"])
    return f


# --- segments ------------------------------------------------------------------

SEGMENTS = ["new", "lapsed", "at-risk", "high-value", "regular", "occasional"]


def standing(m, at, since, n, first, last, rank, high):
    """The segment at moment `at`; since: the period's start."""
    if m["joined"] >= since:
        return "new"
    if (last if last is not None else m["joined"]) < at - 90 * DAY_MS:
        return "lapsed"
    regular = n >= 3 and last - first <= 30 * DAY_MS * (n - 1)
    if regular and at - last > 2 * (last - first) // (n - 1) and at - last >= 14 * DAY_MS:
        return "at-risk"
    if rank is not None and rank <= (high + 9) // 10:
        return "high-value"
    return "regular" if regular else "occasional"


def segments(L, p0, a, b, till):
    """Members by segment at b (this period [a, b)) and at a (the previous)."""
    buys = {}
    for e in L.events():
        if e["type"] == "earn" and (not till or origin(e) == till) and e["customer"] in L.members:
            buys.setdefault(e["customer"], []).append(e)
    rows = []
    for c, m in L.members.items():
        mine = buys.get(c, [])
        visits = lambda y: sorted(e["wall"] for e in mine if e["visit"] and e["wall"] < y)
        spend = lambda x, y: sum(e["net"] for e in mine if x <= e["wall"] < y)
        v1, v0 = visits(b), visits(a)
        if m["joined"] >= b or (till and not v1):
            continue
        rows.append({"m": m, "v1": v1, "v0": v0, "m1": spend(b - 365 * DAY_MS, b),
                     "m0": spend(a - 365 * DAY_MS, a), "sp": spend(a, b), "sq": spend(p0, a),
                     "was": m["joined"] < a and (not till or bool(v0))})

    def ranks(key, eligible):
        vals = [r[key] if eligible(r) else 0 for r in rows]
        return [1 + sum(1 for w in vals if w > v) for v in vals], sum(1 for r in rows if eligible(r) and r[key] > 0)
    r1, h1 = ranks("m1", lambda r: True)
    r0, h0 = ranks("m0", lambda r: r["was"])
    out = {s: [0, 0, 0, 0] for s in SEGMENTS}       # members, previous, sales, previous sales
    for i, r in enumerate(rows):
        v1, v0 = r["v1"], r["v0"]
        s1 = standing(r["m"], b, a, len(v1), v1[0] if v1 else None, v1[-1] if v1 else None,
                      r1[i] if r["m1"] > 0 else None, h1)
        out[s1][0] += 1
        out[s1][2] += r["sp"]
        if r["was"]:
            s0 = standing(r["m"], a, p0, len(v0), v1[0] if v1 else None, v0[-1] if v0 else None,
                          r0[i] if r["m0"] > 0 else None, h0)
            out[s0][1] += 1
            out[s0][3] += r["sq"]
    total = [sum(v[2] for v in out.values()), sum(v[3] for v in out.values())]
    return {s: {"members": v[0], "previous_members": v[1], "sales": v[2], "previous_sales": v[3],
                "share": rate(v[2], total[0]), "previous_share": rate(v[3], total[1])}
            for s, v in out.items()}


# --- staff, tills ----------------------------------------------------------------

def activity(L, p0, a, b, till, by_till, local):
    key = (lambda e: origin(e)) if by_till else (lambda e: e["staff"])
    rows = {}

    def row(k):
        return rows.setdefault(k, {w: {"transactions": 0, "sales": 0, "refunds": 0, "refunded": 0,
                                        "voids": 0, "voided": 0, "adjustments": 0,
                                        "adjusted_points": 0, "overrides": 0} for w in (0, 1)})
    for e in L.events():
        if not (e["counts"] and e["customer"] and not e["opening"] and p0 <= e["wall"] < b):
            continue
        w = 1 if e["wall"] >= a else 0
        if e["type"] == "void" and e["ref"] in L.ev:
            l1 = L.ev[e["ref"]]
            if (not till or origin(l1) == till) and key(l1):
                row(key(l1))[w]["voided"] += 1
        if till and origin(e) != till or not key(e):
            continue
        x = row(key(e))[w]
        x["transactions"] += e["type"] in TRANSACTIONS
        x["sales"] += e["spend"]
        if e["type"] == "refund":
            x["refunds"] += 1
            x["refunded"] -= e["spend"]
        x["voids"] += e["type"] == "void"
        if e["type"] == "adjust":
            x["adjustments"] += 1
            x["adjusted_points"] += e["points"]
        x["overrides"] += ((e["type"] == "earn" and "override" in e["data"])
                           or (e["type"] == "redeem" and bool(e["reason"])))
    out = {}
    for k, v in rows.items():
        f = {"name": ("this till" if k == local else "") if by_till else L.staff.get(k, {}).get("name", "")}
        for n, x in v[1].items():
            f[n] = x
            f["previous_" + n] = v[0][n]
        out[k] = f
    order = sorted(out, key=lambda k: (-out[k]["transactions"], k))
    return out, order


# --- day -------------------------------------------------------------------------

DAY_FIGURES = ["purchases", "sales", "refunds", "refunded", "voids", "coupons", "points_issued",
               "points_taken_back", "points_redeemed", "points_expired", "credit_issued",
               "credit_taken_back", "credit_spent"]


def day_figures(evs):
    t = lambda *ts: [e for e in evs if e["type"] in ts]
    return {"purchases": len(t("earn")), "sales": sum(e["spend"] for e in evs),
            "refunds": len(t("refund")), "refunded": -sum(e["spend"] for e in t("refund")),
            "voids": len(t("void")), "coupons": len(t("coupon_use")),
            "points_issued": sum(e["points"] for e in t(*ISSUING)),
            "points_taken_back": sum(e["points"] for e in t("refund", "void")),
            "points_redeemed": -sum(e["points"] for e in t(*REDEEMING)),
            "points_expired": -sum(e["points"] for e in t("expire")),
            "credit_issued": sum(e["credit"] for e in t("earn")),
            "credit_taken_back": sum(e["credit"] for e in t("refund", "void")),
            "credit_spent": -sum(e["credit"] for e in t("pay"))}


def day(L, d):
    p0, a, b = midnight(d - timedelta(days=1)), midnight(d), midnight(d + timedelta(days=1))
    evs = [e for e in L.events() if e["counts"] and e["customer"] and not e["opening"] and p0 <= e["wall"] < b]
    groups = {}
    for e in evs:
        o = origin(e)
        groups.setdefault(("staff" if e["staff"] else "no_staff", o, e["staff"]), []).append(e)
        groups.setdefault(("till", o, ""), []).append(e)
        groups.setdefault(("all", "", ""), []).append(e)
    out = {}
    for k, g in groups.items():
        cur, prev = day_figures([e for e in g if e["wall"] >= a]), day_figures([e for e in g if e["wall"] < a])
        f = {"name": L.staff.get(k[2], {}).get("name", "") if k[2] else ""}
        for n in DAY_FIGURES:
            f[n], f["previous_" + n] = cur[n], prev[n]
        out[k] = f
    return out


# --- messages --------------------------------------------------------------------

MSG_RANK = {"queued": 0, "retrying": 1, "suppressed": 2, "expired": 3, "failed": 4, "sent": 5}
MSG_FIGURES = ["queued", "sent", "failed", "expired", "suppressed", "waiting", "opted_out", "visited",
               "coupons_used"]
AFTER_MS = 14 * DAY_MS


def outbox(L):
    """One message per occasion: the queueing event that holds it; its
    status the outcome of highest rank, then the latest by (hlc, origin);
    a forgotten customer's waiting messages suppressed."""
    msgs = {}
    for e in L.events():
        if e["type"] == "message" and e["data"].get("status") == "queued" and e["occasion"] and e["counts"]:
            msgs[e["occasion"]] = {"customer": e["customer"], "trigger": e["data"]["trigger"],
                                   "channel": e["data"]["channel"], "created": e["wall"],
                                   "coupon": e["data"].get("vars", {}).get("coupon"),
                                   "status": 0, "at": 0, "best": (0, 0, "")}
    for e in L.events():
        if e["type"] == "message" and e["data"].get("status") != "queued":
            m = msgs.get(e["data"]["msg"])
            k = (MSG_RANK[e["data"]["status"]], e["hlc"], origin(e))
            if m is not None and k > m["best"]:
                m["best"], m["status"], m["at"] = k, k[0], e["wall"]
    forgotten = {e["customer"] for e in L.events() if e["type"] == "forget"}
    for m in msgs.values():
        if m["customer"] in forgotten and m["status"] < 2:
            m["status"] = 2
    return msgs


def messages(L, msgs, a, b):
    # A coupon is used once any till recorded its use (a use cannot be voided).
    used = {e["data"]["code"] for e in L.events() if e["type"] == "coupon_use"}
    visits = {}
    for e in L.events():
        if e["type"] == "earn" and e["counts"] and e["visit"]:
            visits.setdefault(e["customer"], []).append(e["wall"])
    field = {"email": "consent_email", "sms": "consent_sms"}
    rows = {}
    for m in msgs.values():
        if not a <= m["created"] < b:
            continue
        sent = m["status"] == 5
        after = lambda w: m["at"] < w <= m["at"] + AFTER_MS
        opted = sent and any(e["customer"] == m["customer"] and e["type"] in ("profile", "enrol") and after(e["wall"])
                             and e["data"].get(field.get(m["channel"], "consent")) == 0 for e in L.events())
        visited = sent and any(after(w) for w in visits.get(m["customer"], []))
        for k in ((m["trigger"], m["channel"]), ("", "")):
            r = rows.setdefault(k, {n: 0 for n in MSG_FIGURES} | {"who": set()})
            r["queued"] += 1
            r["sent"] += m["status"] == 5
            r["failed"] += m["status"] == 4
            r["expired"] += m["status"] == 3
            r["suppressed"] += m["status"] == 2
            r["waiting"] += m["status"] < 2
            r["opted_out"] += opted
            r["coupons_used"] += m["coupon"] is not None and m["coupon"] in used
            if visited:
                r["who"].add(m["customer"])
    for r in rows.values():
        r["visited"] = len(r.pop("who"))
    return rows


# --- campaigns -----------------------------------------------------------------

def campaign_result(L, msgs, c, now):
    """Per arm (the variants, then the holdout): its members, their visits
    and sales in the window, offers used, messages sent, cost; the lifts
    against the holdout by Welch's t (tests/unit/welch_oracle.py)."""
    a = c["started"]
    b = min(c["expires"], c.get("stopped") or c["expires"], now)
    used_codes = set()
    for e in L.events():
        if e["type"] == "coupon_use" and e["counts"] and not any(
                v["type"] == "void" and v["ref"] == e["event"] for v in L.corr.get(e["event"], [])):
            used_codes.add(e["data"]["code"])
    visits, sales = {}, {}
    for e in L.events():
        if e["type"] == "earn" and a <= e["wall"] < b:
            visits[e["customer"]] = visits.get(e["customer"], 0) + (1 if e["visit"] else 0)
            sales[e["customer"]] = sales.get(e["customer"], 0) + e["net"]
    offers = {arm["name"]: arm for arm in c["arms"]}
    rows = {}
    for e in L.events():
        if e["type"] != "campaign_member" or not e["counts"] or e["data"]["campaign"] != c["id"]:
            continue
        r = rows.setdefault(e["data"]["arm"], {"v": [], "s": [], "used": 0, "messages": 0})
        v = visits.get(e["customer"], 0)
        r["v"].append(v)
        r["s"].append(sales.get(e["customer"], 0))
        kind = offers.get(e["data"]["arm"], {}).get("kind")
        if kind == "points":
            r["used"] += 1
        elif kind == "multiplier":
            r["used"] += v > 0
        else:
            r["used"] += e["data"]["coupon"] in used_codes
        m = msgs.get(f"msg:campaign:{c['id']}:{e['customer']}")
        r["messages"] += m is not None and m["status"] == MSG_RANK["sent"]
    rewards = lww(L.events(), "reward", "id")
    for name, r in rows.items():
        o = offers.get(name)
        if o is None:
            r["cost"] = 0
        elif o["kind"] == "amount":
            r["cost"] = r["used"] * o["value"]
        elif o["kind"] == "points":
            r["cost"] = rnd(r["used"] * o["value"] * 10 ** L.digits, L.pay_rate)
        elif o["kind"] == "reward" and int(rewards.get(o["reward"], {}).get("points", 0)) > 0:
            r["cost"] = rnd(r["used"] * int(rewards[o["reward"]]["points"]) * 10 ** L.digits, L.pay_rate)
        else:
            r["cost"] = NA
    return rows


def compare_campaign(cmp, got, want):
    where = f"campaign {got['campaign']}"
    cmp.same(where, "arms", sorted(r["arm"] for r in got["rows"]), sorted(want))
    hold = want.get("holdout")
    for r in got["rows"]:
        o = want.get(r["arm"])
        if o is None:
            continue
        n = len(o["v"])
        at = f"{where} {r['arm']}"
        cmp.same(at, "members", r["members"], n)
        cmp.same(at, "members_visited", r["members_visited"], sum(1 for v in o["v"] if v > 0))
        cmp.same(at, "offers_used", r["offers_used"], o["used"])
        cmp.same(at, "messages_delivered", r["messages_delivered"], o["messages"])
        cmp.same(at, "cost", r["cost"], o["cost"])
        cmp.near(at, "visits_per_member", r["visits_per_member"], sum(o["v"]) / n, 0.0051)
        cmp.near(at, "sales_per_member", money(r["sales_per_member"], cmp.digits), sum(o["s"]) / n, 0.51)
        if r["arm"] == "holdout" or hold is None or n < 2 or len(hold["v"]) < 2:
            continue
        sv = w.welch(o["v"], hold["v"])
        ss = w.welch([x / 10 ** cmp.digits for x in o["s"]], [x / 10 ** cmp.digits for x in hold["s"]])
        for name, want_v in zip(("visits_lift", "visits_lift_low", "visits_lift_high"), (sv[6], sv[9], sv[10])):
            cmp.near(at, name, r[name], want_v, 0.0051)
        for name, want_v in zip(("sales_lift", "sales_lift_low", "sales_lift_high"), (ss[6], ss[9], ss[10])):
            cmp.near(at, name, money(r[name], cmp.digits) / 10 ** cmp.digits, want_v, 0.0051)
        cmp.near(at, "extra_sales", money(r["extra_sales"], cmp.digits),
                 (sum(o["s"]) / n - sum(hold["s"]) / len(hold["s"])) * n, 0.51)
        verdict = "worked" if sv[9] > 0 else "worse" if sv[10] < 0 else "unclear"
        cmp.same(at, "verdict", r["verdict"], verdict)


# --- rewards -------------------------------------------------------------------

USES = ("redeem", "pay", "coupon_use")
USE_KINDS = ("reward", "coupon", "points", "credit")


def rewards(L, a, b, till):
    """What the uses of [a, b) gave up, by (kind, what): how many, points,
    stamps and money. A use that a counted void refers to does not count.
    A coupon counts as what it gives (its latest fields): a reward, an
    amount off (the amount), or a percentage (worth nothing known)."""
    voided = {e["ref"] for e in L.events() if e["type"] == "void" and e["counts"] and "ref" in e}
    coupons = lww(L.events(), "coupon", "code")
    out = {}

    def add(key, points=0, stamps=0, value=0):
        r = out.setdefault(key, [0, 0, 0, 0])
        r[0] += 1
        r[1] += points
        r[2] += stamps
        r[3] += value

    for e in L.events():
        if e["type"] not in USES or not a <= e["wall"] < b or e["event"] in voided:
            continue
        if till and origin(e) != till:
            continue
        if e["type"] == "redeem":
            add(("reward", e["data"].get("reward", "")), -e["points"], -e["stamps"])
        elif e["type"] == "coupon_use":
            c = coupons.get(e["data"]["code"], {})
            reward, off = c.get("reward", ""), int(c.get("discount", 0))
            if reward:
                add(("coupon", reward))
            elif off > 0:
                add(("coupon", "amount"), value=off)
            else:
                add(("coupon", "percent"))
        else:
            if e["points"] < 0:
                add(("points", ""), -e["points"], value=int(e["data"].get("discount", 0)))
            if e["credit"] < 0:
                add(("credit", ""), value=-e["credit"])
    return out


def rewards_rows(L, a, b, p0, till):
    """The report's rows in order: (kind, reward, name) and their figures,
    this period's and the previous one's; every reward of the catalog,
    and whatever else was used in either period."""
    catalog = {k: v for k, v in lww(L.events(), "reward", "id").items() if v.get("name")}
    cur, prev = rewards(L, a, b, till), rewards(L, p0, a, till)
    keys = set(cur) | set(prev) | {("reward", r) for r in catalog}
    rows = []
    for k in keys:
        kind, what = k
        c, p = cur.get(k, [0, 0, 0, 0]), prev.get(k, [0, 0, 0, 0])
        named = catalog.get(what, {}).get("name", "") if kind in ("reward", "coupon") else ""
        if kind == "coupon" and what in ("amount", "percent"):
            named, what = what, ""
        if kind == "coupon" and not named:
            named = what
        if kind in ("points", "credit"):
            named = kind
        if kind == "reward":
            # Points given up, as payment would value them; a stamp card's
            # reward has no money value.
            priced = int(catalog.get(what, {}).get("points", 0)) > 0
            cost = [rnd(x[1] * 10 ** L.digits, L.pay_rate) if priced else NA for x in (c, p)]
        elif kind == "coupon":
            cost = [x[3] if named == "amount" else NA for x in (c, p)]
        else:
            cost = [c[3], p[3]]
        rows.append({"kind": kind, "reward": what, "name": named, "count": c[0], "previous_count": p[0],
                     "points": c[1], "previous_points": p[1], "stamps": c[2], "previous_stamps": p[2],
                     "cost": cost[0], "previous_cost": cost[1]})
    rows.sort(key=lambda r: (USE_KINDS.index(r["kind"]), -r["count"], -r["previous_count"], r["name"],
                             r["reward"]))
    return rows


# --- tiers ---------------------------------------------------------------------

def tier_spend(L):
    """Each member's spend as the tier rule counts it, as (wall, amount)
    pairs: every counted event's spend on its own moment (refunds and voids
    on their own day), and a purchase refunded beyond it at tills cut off
    from each other counts for nothing, from the latest of its events on."""
    out = {}
    for e in L.events():
        if e["customer"] and e["counts"] and e["spend"]:
            out.setdefault(e["customer"], []).append((e["wall"], e["spend"]))
        if e["type"] == "earn":
            cs = L.corr.get(e["event"], [])
            raw = e["spend"] + sum(c["spend"] for c in cs)
            if e["net"] != raw:
                out.setdefault(e["customer"], []).append((e["fixed_at"], e["net"] - raw))
    return out


def tiers(L, p0, a, b):
    """Members per tier at the end of [a, b) and of the period before;
    joined: new in the period; up, down: against their tier before."""
    settings = lww(L.events(), "setting", "key")
    text = settings.get("tiers", {}).get("value", "Silver:0:1000,Gold:50000:1250,Platinum:150000:1500")
    names = [t.split(":")[0] for t in text.split(",")]
    limits = [int(t.split(":")[1]) for t in text.split(",")]
    window = int(settings.get("tier.window_days", {}).get("value", 365)) * DAY_MS
    spend = tier_spend(L)

    def tier_at(c, end):
        w = sum(x for at, x in spend.get(c, []) if end - window < at < end)
        return sum(1 for t in limits if w >= t) - 1

    rows = {n: {"members": 0, "previous_members": 0, "joined": 0, "up": 0, "down": 0} for n in names + [""]}
    for c, m in L.members.items():
        if m["joined"] >= b:
            continue
        t1 = tier_at(c, b)
        t0 = tier_at(c, a) if m["joined"] < a else None
        r = rows[names[t1] if t1 >= 0 else ""]
        r["members"] += 1
        r["joined"] += t0 is None
        r["up"] += t0 is not None and t0 < t1
        r["down"] += t0 is not None and t0 > t1
        if t0 is not None:
            rows[names[t0] if t0 >= 0 else ""]["previous_members"] += 1
    out = [dict(tier=n, **rows[n]) for n in names]
    if rows[""]["members"] or rows[""]["previous_members"]:
        out.append(dict(tier="", **rows[""]))
    return out


# --- comparing -----------------------------------------------------------------

class Compare:
    def __init__(self, digits):
        self.n = self.bad = 0
        self.digits = digits

    def same(self, where, name, got, want, scale=None):
        self.n += 1
        if isinstance(got, float):
            got = int(round(got * scale))
        elif isinstance(got, str) and name not in ("name", "verdict"):
            got = money(got, self.digits)
        if got != want:
            self.bad += 1
            print(f"  {where}: {name}: tally {got}, oracle {want}")

    def near(self, where, name, got, want, within):
        self.n += 1
        if got is None or abs(got - want) > within:
            self.bad += 1
            print(f"  {where}: {name}: tally {got}, oracle {want:.4f}")


SCALE = {"repeat_rate": 10, "churn_rate": 10, "retention_rate": 10, "redemption_rate": 10,
         "nps": 10, "purchase_frequency": 100, "share": 10, "previous_share": 10}


def report(tally, args):
    out = subprocess.run([tally, "report"] + args + ["--format", "json"], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    argv = sys.argv[1:]
    tally, local = argv[0], argv[1]
    tamper = "--tamper" in argv
    tamper_messages = "--tamper-messages" in argv
    tamper_campaign = "--tamper-campaign" in argv
    tamper_rewards = "--tamper-rewards" in argv
    rest = [a for a in argv[2:] if not a.startswith("--tamper")]
    periods = rest[:rest.index("--")]
    days = rest[rest.index("--") + 1:]
    digits = 2
    events = json.loads(subprocess.run([tally, "events", "--limit", "0", "--format", "json"], check=True,
                                       capture_output=True, text=True).stdout)
    L = Ledger(events, digits)
    cmp = Compare(digits)
    tills = sorted({origin(e) for e in L.events()})
    msgs = outbox(L)
    for p in periods:
        first, last = (date.fromisoformat(x) for x in p.split(":"))
        n = (last - first).days + 1
        a, b = midnight(first), midnight(last + timedelta(days=1))
        p0, pp = midnight(first - timedelta(days=n)), midnight(first - timedelta(days=2 * n))
        got = report(tally, ["messages", "--from", first.isoformat(), "--to", last.isoformat()])
        if tamper_messages and got["rows"]:
            got["rows"][0]["sent"] += 1
        cur, prev = messages(L, msgs, a, b), messages(L, msgs, p0, a)
        keys = sorted((r["trigger"], r["channel"]) for r in got["rows"])
        cmp.same(f"messages {p}", "rows", keys, sorted(set(cur) | set(prev)))
        for r in got["rows"]:
            k = (r["trigger"], r["channel"])
            for name in MSG_FIGURES:
                cmp.same(f"messages {p} {k}", name, r[name], cur.get(k, {}).get(name, 0))
                cmp.same(f"messages {p} {k}", "previous_" + name, r["previous_" + name],
                         prev.get(k, {}).get(name, 0))
        for till in [None] + tills:
            targs = ["--from", first.isoformat(), "--to", last.isoformat()] + (["--till", till] if till else [])
            where = f"{p}{' till ' + till if till else ''}"
            got = report(tally, ["summary"] + targs)
            if tamper:
                got["current"]["visits"] += 1
                tamper = False
            cur, prev = summary(L, a, b, till, n), summary(L, p0, a, till, n)
            for name, want in cur.items():
                cmp.same(f"summary {where}", name, got["current"][name], want, SCALE.get(name))
                cmp.same(f"summary {where} previous", name, got["previous"][name], prev[name], SCALE.get(name))
            got = report(tally, ["segments"] + targs)
            want = segments(L, p0, a, b, till)
            for r in got["rows"]:
                for name, v in want[r["segment"]].items():
                    cmp.same(f"segments {where} {r['segment']}", name, r[name], v, SCALE.get(name))
            if not till:
                got = report(tally, ["tiers"] + targs)
                want = tiers(L, p0, a, b)
                cmp.same(f"tiers {p}", "rows in order", [r["tier"] for r in got["rows"]], [r["tier"] for r in want])
                for r, w in zip(got["rows"], want):
                    for name, v in w.items():
                        if name != "tier":
                            cmp.same(f"tiers {p} {r['tier']}", name, r[name], v)
            got = report(tally, ["rewards"] + targs)
            if tamper_rewards:
                got["rows"][0]["count"] += 1
                tamper_rewards = False
            want = rewards_rows(L, a, b, p0, till)
            cmp.same(f"rewards {where}", "rows in order", [(r["kind"], r["reward"], r["name"]) for r in got["rows"]],
                     [(r["kind"], r["reward"], r["name"]) for r in want])
            for r, w in zip(got["rows"], want):
                for name, v in w.items():
                    if name not in ("kind", "reward", "name"):
                        cmp.same(f"rewards {where} {r['kind']} {r['name']}", name, r[name], v)
            for by_till in (False, True):
                what = "tills" if by_till else "staff"
                got = report(tally, [what] + targs)
                want, order = activity(L, p0, a, b, till, by_till, local)
                cmp.same(f"{what} {where}", "rows in order", [r["key"] for r in got["rows"]], order)
                for r in got["rows"]:
                    for name, v in want.get(r["key"], {}).items():
                        cmp.same(f"{what} {where} {r['key']}", name, r[name], v)
    now = int(time.time() * 1000)
    for c in lww(L.events(), "campaign", "id").values():
        got = report(tally, ["campaign", c["id"]])
        if tamper_campaign:
            got["rows"][0]["members_visited"] += 1
            tamper_campaign = False
        compare_campaign(cmp, got, campaign_result(L, msgs, c, now))
    for d in days:
        got = report(tally, ["day", "--date", d])
        want = day(L, date.fromisoformat(d))
        keys = [(r["row"], r["till"], r["staff"]) for r in got["rows"]]
        cmp.same(f"day {d}", "rows", sorted(keys), sorted(want))
        for r, k in zip(got["rows"], keys):
            for name, v in want.get(k, {}).items():
                cmp.same(f"day {d} {k}", name, r[name], v)
    print(f"{cmp.n} figures compared, {cmp.bad} differ")
    return 1 if cmp.bad else 0


if __name__ == "__main__":
    sys.exit(main())
