"""From the model's structure-sized columns back to people and need rows: the inverse of aggregation.

The model serves *demands* (unit, category) from *pools* (a group of people and a category) and
provider classes; a plan lists who serves which need. Three exact splits undo that, each a
:func:`fill` (amounts laid end to end per key on one line; every overlap of a supply with a demand is
one row):

1. per demand, what arrives (pool, organization, lot and program flows) over the need rows that take it;
   per (unit, category) program pool, the inputs given over the program instances that use them;
2. per pool, those rows over the provider classes that gave hours to the pool (``s``), the farthest rows
   first over the classes reaching farthest first, so that each class serves within its radius (the
   ``pool_reach`` rows of the model are exactly what makes that fit);
3. per class, its rows over its members, in member order, within what each member's indivisible cases
   (``xi``, already per member) leave of their hours; or, when a rule limits each person's hours per
   unit (:class:`linkage_opt.rules.Aggregation`, ``per_class``), a volunteer class's rows evenly over its
   identical members (lot and organization classes are still filled in order: their members' quantities
   may differ).

Each is exact because what is split is interchangeable in every row of the model: need rows of one
demand have the same load and cost per unit; the classes of one pool, and the members of one class,
share travel, rate, party flag and previous units, and differ in reach only by nested radii. Totals per need, per provider and per program
are preserved, and no member exceeds its capacity, because no class or pool exceeds its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import rules
from .reach import member_frame

EPS = 1e-9


def fill(
    sup_key: np.ndarray, sup_amt: np.ndarray, dem_key: np.ndarray, dem_amt: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match supplies to demands of the same key in order: ``(supply index, demand index, amount)``.

    Within a key, supplies and demands are laid end to end in their given order; each overlap of a
    supply interval with a demand interval is one match. Vectorised: one sort and two binary searches.
    """
    sup_key = np.asarray(sup_key, np.int64)
    dem_key = np.asarray(dem_key, np.int64)
    sup_amt = np.maximum(np.asarray(sup_amt, float), 0.0)
    dem_amt = np.maximum(np.asarray(dem_amt, float), 0.0)
    if not len(sup_key) or not len(dem_key):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    keys, inv = np.unique(np.concatenate([sup_key, dem_key]), return_inverse=True)
    ks, kd = inv[: len(sup_key)], inv[len(sup_key) :]
    tot = np.maximum(np.bincount(ks, sup_amt, len(keys)), np.bincount(kd, dem_amt, len(keys)))
    off = np.concatenate([[0.0], np.cumsum(tot + 1.0)])[:-1]
    os_, od = np.argsort(ks, kind="stable"), np.argsort(kd, kind="stable")
    s_hi = _ends(ks[os_], sup_amt[os_], off)
    d_hi = _ends(kd[od], dem_amt[od], off)
    s_lo, d_lo = s_hi - sup_amt[os_], d_hi - dem_amt[od]
    first = np.searchsorted(s_hi, d_lo, side="right")
    last = np.searchsorted(s_hi, d_hi, side="left")
    first = np.minimum(first, len(s_hi) - 1)
    last = np.clip(last, first, len(s_hi) - 1)
    count = last - first + 1
    rep = np.repeat(np.arange(len(od)), count)
    si = np.repeat(first, count) + (np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count))
    amount = np.minimum(d_hi[rep], s_hi[si]) - np.maximum(d_lo[rep], s_lo[si])
    keep = (amount > EPS) & (ks[os_][si] == kd[od][rep])
    return os_[si[keep]], od[rep[keep]], amount[keep]


def _ends(keys_sorted: np.ndarray, amt_sorted: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Right ends of intervals laid end to end per key, starting at that key's offset."""
    c = np.cumsum(amt_sorted)
    start = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1]])
    base = np.repeat(c[start] - amt_sorted[start], np.diff(np.r_[start, len(c)]))
    return off[keys_sorted] + c - base


def allocation_rows(form, x: np.ndarray) -> pd.DataFrame:
    """Allocation rows per real provider (member), need and program at solution ``x``.

    Columns ``provider_kind, provider_id, unit_id, category, need_id, program_id, quantity, load, cost``.
    """
    m = form.model
    P = form.providers
    N = form.needs
    units = form.scenario.units["unit_id"].astype(str).to_numpy()
    need_ids = N["need_id"].to_numpy()
    pkind = P["kind"].to_numpy()
    q_n = N["q"].to_numpy(float)
    pieces: list[pd.DataFrame] = []  # rows still owned by a pool (owner < 0: pool -owner-1) or a class

    cfg = form.scenario.config
    xb, ob, cb, db = m.var("x"), m.var("o"), m.var("cov"), m.var("dk")
    xv, ov, cv, dv = xb.take(x), ob.take(x), cb.take(x), db.take(x)
    pl = m.var("y").index
    yv = m.var("y").take(x)

    # 1a. per demand and kind of people: the hours that arrive, over direct service and program instances
    xix = xb.index
    pxs = np.flatnonzero((xv > EPS) & (xix["pool"].to_numpy() >= 0))
    akey = pd.MultiIndex.from_frame(db.index[["d", "kind"]]) if db.size else None
    hpu = np.array([cfg.categories[c].hours_per_unit for c in db.index["category"]], float) if db.size else np.zeros(0)
    dem_key, dem_amt, dem_prog = [np.zeros(0, np.int64)], [np.zeros(0)], [np.zeros(0, np.int64)]
    if db.size:
        dem_key.append(np.arange(db.size))
        dem_amt.append(dv * hpu)
        dem_prog.append(np.full(db.size, -1))
        for kd, col in (("social_worker", "worker_hours"), ("volunteer", "volunteer_hours")):
            per = pl[col].to_numpy(float) if len(pl) else np.zeros(0)
            sel = np.flatnonzero((per > 0) & (yv > 0.5))
            if len(sel):
                dem_key.append(
                    akey.get_indexer(pd.MultiIndex.from_arrays([pl["d"].to_numpy()[sel], np.full(len(sel), kd)]))
                )
                dem_amt.append(yv[sel] * per[sel])
                dem_prog.append(sel)
    dem_key, dem_amt, dem_prog = np.concatenate(dem_key), np.concatenate(dem_amt), np.concatenate(dem_prog)
    sup_key = (
        akey.get_indexer(pd.MultiIndex.from_frame(xix.iloc[pxs][["d", "kind"]]))
        if db.size and len(pxs)
        else np.zeros(0, np.int64)
    )
    si, di, hrs = fill(sup_key, xv[pxs], dem_key, dem_amt)
    to_prog = dem_prog[di] >= 0
    ip = xix.iloc[pxs[si[to_prog]]]
    h = hrs[to_prog]
    k = dem_prog[di[to_prog]]
    pieces.append(
        pd.DataFrame(
            {
                "owner": -ip["pool"].to_numpy() - 1,
                "kind": ip["kind"].to_numpy(),
                "u": ip["u"].to_numpy(),
                "category": ip["category"].to_numpy(),
                "need_id": "",
                "program_id": pl["program_id"].to_numpy()[k] if len(k) else [],
                "quantity": 0.0,
                "load": h * ip["load"].to_numpy(float),
                "cost": h * ip["cost"].to_numpy(float),
                "dist": ip["dist_km"].to_numpy(float),
            }
        )
    )
    direct_rows = pxs[si[~to_prog]]  # x row of each direct piece
    direct_units = hrs[~to_prog] / np.maximum(hpu[dem_key[di[~to_prog]]], EPS) if db.size else np.zeros(0)

    # 1b. per demand: what is served (people's direct pieces, organizations, lots, programs) over need rows
    oxs = np.flatnonzero((xv > EPS) & (xix["pool"].to_numpy() < 0))
    os_ = np.flatnonzero(ov > EPS)
    cs = np.flatnonzero(cv > EPS)
    src_row = np.concatenate([direct_rows, oxs]).astype(np.int64)
    sup_key = np.concatenate([xix["d"].to_numpy()[src_row], ob.index["d"].to_numpy()[os_]])
    sup_amt = np.concatenate([direct_units, xv[oxs], ov[os_]])
    dn = cb.index["n"].to_numpy()[cs]
    si, di, amt = fill(sup_key, sup_amt, cb.index["d"].to_numpy()[cs], q_n[dn] * cv[cs])
    from_x = si < len(src_row)
    ix = xix.iloc[src_row[si[from_x]]]
    qty = amt[from_x]
    pool = ix["pool"].to_numpy()
    # people's load and cost are per hour: a unit of need takes the category's hours
    hours_per = np.array([cfg.categories[c].hours_per_unit for c in ix["category"]], float) if len(ix) else np.zeros(0)
    per_unit = np.where(pool >= 0, hours_per, 1.0)
    pieces.append(
        pd.DataFrame(
            {
                "owner": np.where(pool >= 0, -pool - 1, ix["p"].to_numpy()),
                "kind": ix["kind"].to_numpy(),
                "u": ix["u"].to_numpy(),
                "category": ix["category"].to_numpy(),
                "need_id": need_ids[dn[di[from_x]]],
                "program_id": "",
                "quantity": qty,
                "load": qty * per_unit * ix["load"].to_numpy(float),
                "cost": qty * per_unit * ix["cost"].to_numpy(float),
                "dist": ix["dist_km"].to_numpy(float),
            }
        )
    )
    k = ob.index["k"].to_numpy()[os_[si[~from_x] - len(src_row)]]
    programs = pd.DataFrame(
        {
            "provider_kind": "program",
            "provider_id": pl["program_id"].to_numpy()[k],
            "unit_id": pl["unit_id"].to_numpy()[k],
            "category": pl["category"].to_numpy()[k],
            "need_id": need_ids[dn[di[~from_x]]],
            "program_id": pl["program_id"].to_numpy()[k],
            "quantity": amt[~from_x],
            "load": 0.0,
            "cost": 0.0,
        }
    )

    # 1c. per program pool: funds (lots and the district budget together) over the instances that use them
    budget = []
    fb, bb = m.var("f_in"), m.var("b_in")
    if len(pl) and (fb.size or bb.size):
        fv, bv = fb.take(x), bb.take(x)
        fs, bs = np.flatnonzero(fv > EPS), np.flatnonzero(bv > EPS)
        sup = pd.concat(
            [
                fb.index.iloc[fs][["u", "category", "p"]].assign(amount=fv[fs]),
                bb.index.iloc[bs][["u", "category"]].assign(p=-1, amount=bv[bs]),
            ],
            ignore_index=True,
        )
        codes = pd.MultiIndex.from_arrays([pl["u"].to_numpy(), pl["category"].to_numpy()])
        uniq = codes.unique()
        sk = uniq.get_indexer(pd.MultiIndex.from_arrays([sup["u"].to_numpy(), sup["category"].to_numpy()]))
        a, d, amt = fill(sk, sup["amount"].to_numpy(float), uniq.get_indexer(codes), yv * pl["funds"].to_numpy(float))
        ia = sup.iloc[a]
        lot = ia["p"].to_numpy() >= 0
        rows = pd.DataFrame(
            {
                "u": ia["u"].to_numpy(),
                "category": ia["category"].to_numpy(),
                "need_id": "",
                "program_id": pl["program_id"].to_numpy()[d],
                "quantity": 0.0,
                "load": amt,
                "cost": np.where(lot, 0.0, amt),
            }
        )
        budget.append(
            rows[~lot]
            .assign(provider_kind="budget", provider_id="district_budget", unit_id=units[rows["u"].to_numpy()[~lot]])
            .drop(columns="u")
        )
        lp = ia["p"].to_numpy()[lot]
        pieces.append(rows[lot].assign(owner=lp, kind=pkind[lp], dist=0.0))

    rows = pd.concat(pieces, ignore_index=True)

    # 2. pool rows over the classes that gave hours to the pool: the farthest rows first, over the classes
    # reaching farthest first (the pool_reach rows make that fit every class's radius)
    pooled = rows["owner"].to_numpy() < 0
    sb = m.var("s")
    sv = sb.take(x)
    ss = np.flatnonzero(sv > EPS)
    radius = P["radius_km"].to_numpy(float)[sb.index["p"].to_numpy()[ss]]
    ss = ss[np.lexsort((-radius, sb.index["pool"].to_numpy()[ss]))]
    pr = rows[pooled]
    pr = pr.iloc[np.lexsort((-pr["dist"].to_numpy(float), -pr["owner"].to_numpy()))].reset_index(drop=True)
    a, d, amt = fill(sb.index["pool"].to_numpy()[ss], sv[ss], -pr["owner"].to_numpy() - 1, pr["load"].to_numpy(float))
    share = amt / np.maximum(pr["load"].to_numpy(float)[d], EPS)
    split = pr.iloc[d].copy()
    owner_p = sb.index["p"].to_numpy()[ss[a]]
    # a solver's plan meets the pool_reach rows only to its tolerance: a sliver (1e-7 h) laid onto a class
    # that does not reach so far goes to the pool's farthest-reaching class instead (capacity within tolerance)
    short = pr["dist"].to_numpy(float)[d] > P["radius_km"].to_numpy(float)[owner_p] + 1e-9
    if short.any():
        far_of = pd.Series(form.pools["far_p"].to_numpy(), index=form.pools["pool"].to_numpy())
        owner_p = owner_p.copy()
        owner_p[short] = far_of.reindex(-pr["owner"].to_numpy()[d][short] - 1).to_numpy(np.int64)
    split["owner"] = owner_p
    for col in ("quantity", "load", "cost"):
        split[col] = split[col].to_numpy(float) * share
    rows = pd.concat([rows[~pooled], split], ignore_index=True)

    # 3. class rows over members (after what their indivisible cases use)
    xib = m.var("xi")
    xiv = xib.take(x)
    carried = xib.index.iloc[np.flatnonzero(xiv > 0.5)]
    mf = member_frame(P)
    residual = mf["capacity"].to_numpy(float).copy()
    if len(carried):
        np.subtract.at(residual, carried["member"].to_numpy(), (carried["load"] * carried["q"]).to_numpy(float))
    # a rule limiting each person's hours per unit keeps members identical and their flows per class:
    # spread evenly (linkage_opt.rules.Aggregation.per_class); otherwise fill members in order
    even = rules.aggregation(form.scenario).per_class
    owner = rows["owner"].to_numpy()
    multi = P["n_members"].to_numpy()[owner] > 1
    single = rows[~multi]
    out = [
        single.assign(
            provider_kind=pkind[single["owner"].to_numpy()],
            provider_id=P["members"].map(lambda ms: ms[0]).to_numpy()[single["owner"].to_numpy()],
        )
    ]
    cr = rows[multi].reset_index(drop=True)
    if len(cr):
        load = cr["load"].to_numpy(float)
        zero = load <= EPS
        first_member = np.searchsorted(mf["p"].to_numpy(), cr["owner"].to_numpy()[zero])
        out.append(
            cr[zero].assign(
                provider_kind=pkind[cr["owner"].to_numpy()[zero]],
                provider_id=mf["provider_id"].to_numpy()[first_member],
            )
        )
        nz = np.flatnonzero(~zero)
        # the per-person rule is on volunteers, whose classes then have identical members; the members of a
        # lot class may hold different quantities (a lot of 30 yuan and one of 300 were spread evenly: 165
        # each), so lots and organizations are always filled in order
        spread = even & (pkind[cr["owner"].to_numpy()[nz]] == "volunteer")
        ev, rest = nz[spread], nz[~spread]
        # every member of a volunteer class gets the same share of each of its rows (a per-person rule holds)
        owner_ev = cr["owner"].to_numpy()[ev]
        n = P["n_members"].to_numpy()[owner_ev]
        d_ev = np.repeat(np.arange(len(ev)), n)
        member_ev = np.repeat(np.searchsorted(mf["p"].to_numpy(), owner_ev), n) + (
            np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
        )
        in_class = np.flatnonzero(P["n_members"].to_numpy()[mf["p"].to_numpy()] > 1)
        a, d_rest, amt = fill(
            mf["p"].to_numpy()[in_class], np.maximum(residual[in_class], 0.0), cr["owner"].to_numpy()[rest], load[rest]
        )
        rows_of = np.concatenate([ev[d_ev], rest[d_rest]])
        member = np.concatenate([member_ev, in_class[a]])
        share = np.concatenate([1.0 / n[d_ev], amt / load[rest[d_rest]]])
        part = cr.iloc[rows_of].copy()
        for col in ("quantity", "load", "cost"):
            part[col] = part[col].to_numpy(float) * share
        part["provider_kind"] = pkind[part["owner"].to_numpy()]
        part["provider_id"] = mf["provider_id"].to_numpy()[member]
        out.append(part)
    direct = pd.concat(out, ignore_index=True)
    direct["unit_id"] = units[direct["u"].to_numpy()] if len(direct) else []

    # indivisible cases, already per member
    case = pd.DataFrame(
        {
            "provider_kind": carried["kind"].to_numpy(),
            "provider_id": carried["provider_id"].to_numpy(),
            "unit_id": units[carried["u"].to_numpy()],
            "category": carried["category"].to_numpy(),
            "need_id": need_ids[carried["n"].to_numpy()],
            "program_id": "",
            "quantity": carried["q"].to_numpy(float),
            "load": (carried["load"] * carried["q"]).to_numpy(float),
            "cost": (carried["cost"] * carried["q"]).to_numpy(float),
        }
    )
    cols = ["provider_kind", "provider_id", "unit_id", "category", "need_id", "program_id", "quantity", "load", "cost"]
    parts = [f[cols] for f in (direct, case, programs, *budget) if len(f)]
    if not parts:
        return pd.DataFrame(
            {c: pd.Series([], dtype=float if c in ("quantity", "load", "cost") else object) for c in cols}
        )
    alloc = pd.concat(parts, ignore_index=True)
    # one row per (provider, need or program): pieces of one flow that met again are merged
    return alloc.groupby(
        ["provider_kind", "provider_id", "unit_id", "category", "need_id", "program_id"], as_index=False, sort=False
    )[["quantity", "load", "cost"]].sum()
