"""Figures as SVG text, for server-rendered pages and reports.

* :func:`km_plot` — Kaplan-Meier curves with confidence bands and a numbers-at-risk
  table below (counts of 1 to 10 shown as "<11").
* :func:`love_plot` — absolute standardised mean differences before and after
  weighting, per covariate, with the 0.1 threshold.
* :func:`forest_plot` — estimates with confidence intervals, optional pooled diamond.
* :func:`dose_response_plot` — estimates with intervals across ordered categories.

Each returns a :class:`PlotResult` whose ``svg`` is a standalone ``<svg>`` document
and whose ``alt_text`` describes the figure for screen readers (put it in the
``<img alt>`` or a ``<figcaption>``). ``str(result)`` is the SVG.

We build ``matplotlib.figure.Figure`` objects directly instead of using pyplot: no
global figure registry, so concurrent requests cannot draw into each other's figure
and nothing leaks memory. The Agg backend is selected so that nothing ever tries to
open a window on a server. Style settings apply only while a figure is drawn
(``rc_context``). Output is deterministic (fixed SVG hash salt, no date) so figures
can be cached and compared.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.figure import Figure

from .results import SUPPRESSED, Result, is_small_cell
from .survival import KaplanMeierGroupsResult, KaplanMeierResult

__all__ = [
    "PlotResult",
    "dose_response_plot",
    "forest_plot",
    "km_plot",
    "love_plot",
]

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
_RC: Any = {
    "svg.fonttype": "none",  # keep text as text: smaller, selectable, accessible
    "svg.hashsalt": "alongside",  # stable element ids, so output is reproducible
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
SMD_THRESHOLD = 0.1


@dataclass(kw_only=True)
class PlotResult(Result):
    """An SVG figure with a text alternative."""

    svg: str
    alt_text: str
    title: str = ""

    def __str__(self) -> str:
        return self.svg


def _to_svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _finite(values: Any, name: str, func: str, n: int | None = None) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{func}: {name} must be numeric") from None
    if array.ndim != 1:
        raise ValueError(f"{func}: {name} must be one-dimensional")
    if n is not None and len(array) != n:
        raise ValueError(f"{func}: {name} has {len(array)} values, expected {n}")
    return array


def _plain_log_axis(axis: Any, low: float, high: float) -> None:
    """Label a log axis with plain round ratios (0.5, 1, 2) instead of 10^x."""
    candidates = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 5]
    candidates += [10, 20, 50, 100]
    chosen = [c for c in candidates if low <= c <= high]
    if len(chosen) > 7:
        chosen = chosen[:: int(np.ceil(len(chosen) / 7))]
    axis.set_major_locator(ticker.FixedLocator(chosen))
    axis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(ticker.NullFormatter())


# ------------------------------------------------------------------ Kaplan-Meier


def _nice_times(last: float, count: int = 5) -> np.ndarray:
    """About ``count`` round tick times from 0 to ``last`` (days)."""
    if last <= 0:
        return np.array([0.0])
    raw = last / count
    magnitude = 10 ** np.floor(np.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10)), key=lambda s: abs(s - raw))
    return np.arange(0, last + 1e-9, step)


@matplotlib.rc_context(_RC)
def km_plot(
    curves: KaplanMeierResult
    | KaplanMeierGroupsResult
    | Mapping[str, KaplanMeierResult],
    *,
    title: str = "",
    xlabel: str = "Days since start",
    ylabel: str = "Proportion without event",
    risk_times: Sequence[float] | None = None,
    show_ci: bool = True,
    width: float = 7.0,
) -> PlotResult:
    """Kaplan-Meier curves with confidence bands and a numbers-at-risk table.

    ``curves`` is one :class:`KaplanMeierResult`, the result of
    :func:`kaplan_meier_by_group`, or a mapping of label to result. Censoring marks
    are deliberately not drawn: on small groups they point to individuals.
    """
    func = "km_plot"
    if isinstance(curves, KaplanMeierResult):
        named = {curves.label or "All": curves}
    elif isinstance(curves, KaplanMeierGroupsResult):
        named = dict(curves.curves)
    elif isinstance(curves, Mapping):
        named = dict(curves)
    else:
        raise ValueError(
            f"{func}: curves must be a KaplanMeierResult, a KaplanMeierGroupsResult "
            f"or a mapping of label to KaplanMeierResult, got {type(curves).__name__}"
        )
    if not named:
        raise ValueError(f"{func}: curves is empty")
    for label, curve in named.items():
        if not isinstance(curve, KaplanMeierResult):
            raise ValueError(
                f"{func}: curves[{label!r}] is not a KaplanMeierResult "
                f"({type(curve).__name__})"
            )
    last = max(float(c.times[-1]) for c in named.values())
    ticks = (
        _nice_times(last)
        if risk_times is None
        else _finite(risk_times, "risk_times", func)
    )
    if len(ticks) == 0 or np.isnan(ticks).any() or (ticks < 0).any():
        raise ValueError(f"{func}: risk_times must be non-negative numbers")

    rows = len(named)
    figure = _new_figure(width, 4.2 + 0.28 * rows)
    grid = figure.add_gridspec(2, 1, height_ratios=[4.0, 0.35 + 0.28 * rows])
    axes = figure.add_subplot(grid[0])
    table_axes = figure.add_subplot(grid[1], sharex=axes)
    result = PlotResult(
        method="Kaplan-Meier plot", n=0, svg="", alt_text="", title=title
    )
    descriptions = []
    for index, (label, curve) in enumerate(named.items()):
        colour = PALETTE[index % len(PALETTE)]
        x = np.concatenate([[0.0], curve.times])
        y = np.concatenate([[1.0], curve.survival])
        axes.step(x, y, where="post", color=colour, linewidth=1.8, label=str(label))
        if show_ci:
            low = np.concatenate([[1.0], curve.lower])
            high = np.concatenate([[1.0], curve.upper])
            axes.fill_between(
                x, low, high, step="post", color=colour, alpha=0.15, linewidth=0
            )
        result.n += curve.n
        for message in curve.warnings:
            result.warn(message)
        median = (
            "median not reached"
            if np.isnan(curve.median)
            else f"median {curve.median:g} days"
        )
        descriptions.append(f"{label}: {median}")
        counts = curve.at_risk_at(ticks)
        for tick, count in zip(ticks, counts, strict=True):
            shown = SUPPRESSED if is_small_cell(count) else str(int(count))
            table_axes.text(
                tick,
                rows - 1 - index,
                shown,
                ha="center",
                va="center",
                color=colour,
                fontsize=9,
            )
        if any(is_small_cell(c) for c in counts):
            result.warn(
                f"Numbers at risk{f' ({label})' if len(named) > 1 else ''}: counts "
                "below 11 shown as <11 (small-cell suppression)."
            )
    axes.set_ylim(0, 1.02)
    axes.set_xlim(0, last * 1.02)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    if title:
        axes.set_title(title)
    if len(named) > 1:
        axes.legend(frameon=False, loc="lower left")
    axes.tick_params(labelbottom=True)
    axes.set_xticks(ticks)
    axes.set_xlabel(xlabel)
    table_axes.set_ylim(-0.5, rows - 0.5)
    table_axes.set_yticks(range(rows))
    table_axes.set_yticklabels([str(k) for k in reversed(list(named))])
    table_axes.tick_params(axis="x", bottom=False, labelbottom=False)
    # Pad the row labels so the first count (at time 0) does not overlap them.
    table_axes.tick_params(axis="y", left=False, pad=22)
    for side in ("top", "right", "bottom", "left"):
        table_axes.spines[side].set_visible(False)
    table_axes.set_title("Number at risk", loc="left", fontsize=9)
    result.svg = _to_svg(figure)
    result.alt_text = (
        f"Kaplan-Meier curves{': ' + title if title else ''}. "
        + "; ".join(descriptions)
        + "."
    )
    return result


# -------------------------------------------------------------------- love plot


def _balance_pairs(balance: Any, func: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Accept a mapping, a balance DataFrame or an object with a ``table``."""
    if hasattr(balance, "table") and isinstance(balance.table, pd.DataFrame):
        balance = balance.table
    if isinstance(balance, pd.DataFrame):
        frame = balance
        if "covariate" in frame.columns:
            frame = frame.set_index("covariate")
        before_col = next(
            (c for c in ("smd_before", "before") if c in frame.columns), None
        )
        after_col = next(
            (c for c in ("smd_after", "after") if c in frame.columns), None
        )
        if before_col is None:
            raise ValueError(
                f"{func}: balance table needs a 'smd_before' (or 'before') column; "
                f"found {list(frame.columns)}"
            )
        names = [str(i) for i in frame.index]
        before = _finite(frame[before_col], before_col, func)
        after = (
            _finite(frame[after_col], after_col, func)
            if after_col is not None
            else np.full(len(names), np.nan)
        )
        return names, before, after
    if isinstance(balance, Mapping):
        names, before_list, after_list = [], [], []
        for name, pair in balance.items():
            try:
                first, second = pair
            except (TypeError, ValueError):
                raise ValueError(
                    f"{func}: balance[{name!r}] must be a (before, after) pair"
                ) from None
            names.append(str(name))
            before_list.append(first)
            after_list.append(np.nan if second is None else second)
        return (
            names,
            _finite(before_list, "before", func),
            _finite(after_list, "after", func),
        )
    raise ValueError(
        f"{func}: balance must be a mapping of covariate to (before, after), a "
        f"DataFrame or a balance result, got {type(balance).__name__}"
    )


@matplotlib.rc_context(_RC)
def love_plot(
    balance: Any,
    *,
    threshold: float = SMD_THRESHOLD,
    title: str = "Covariate balance",
    width: float = 6.5,
) -> PlotResult:
    """Absolute standardised mean differences before and after weighting.

    ``balance`` is a mapping ``{covariate: (smd_before, smd_after)}``, a DataFrame
    with ``covariate``/``smd_before``/``smd_after`` columns (as
    ``weighting.balance_table`` returns), or that result itself.
    """
    func = "love_plot"
    names, before, after = _balance_pairs(balance, func)
    if not names:
        raise ValueError(f"{func}: balance is empty")
    if np.isnan(before).any():
        raise ValueError(f"{func}: before has missing values")
    order = np.argsort(np.abs(before))
    figure = _new_figure(width, 1.2 + 0.32 * len(names))
    axes = figure.add_subplot()
    positions = np.arange(len(names))
    axes.scatter(
        np.abs(before[order]),
        positions,
        marker="o",
        facecolors="none",
        edgecolors=PALETTE[1],
        label="Before weighting",
        zorder=3,
    )
    has_after = not np.isnan(after).all()
    if has_after:
        axes.scatter(
            np.abs(after[order]),
            positions,
            marker="o",
            color=PALETTE[0],
            label="After weighting",
            zorder=3,
        )
    axes.axvline(threshold, color="grey", linestyle="--", linewidth=1)
    axes.set_yticks(positions)
    axes.set_yticklabels([names[i] for i in order])
    axes.set_xlabel("Absolute standardised mean difference")
    axes.set_xlim(left=0)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(frameon=False, loc="best")
    if title:
        axes.set_title(title)
    worst_after = float(np.nanmax(np.abs(after))) if has_after else float("nan")
    result = PlotResult(
        method="Love plot",
        n=len(names),
        svg=_to_svg(figure),
        alt_text=(
            f"{title or 'Love plot'}: absolute standardised mean differences for "
            f"{len(names)} covariates; largest {np.abs(before).max():.2f} before"
            + (f" and {worst_after:.2f} after weighting" if has_after else "")
            + f" (threshold {threshold:g})."
        ),
        title=title,
    )
    if has_after and worst_after > threshold:
        result.warn(
            f"Some covariates remain imbalanced after weighting (|SMD| > {threshold:g})."
        )
    return result


# ------------------------------------------------------------------ forest plot


@matplotlib.rc_context(_RC)
def forest_plot(
    labels: Sequence[str],
    estimates: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    pooled: tuple[float, float, float] | None = None,
    pooled_label: str = "Pooled",
    null_value: float | None = None,
    log_scale: bool = False,
    xlabel: str = "Estimate (95% CI)",
    title: str = "",
    width: float = 6.5,
) -> PlotResult:
    """Estimates with confidence intervals, one row each, and an optional diamond.

    Use ``log_scale=True`` (and the default ``null_value`` of 1) for ratios; the
    default null line is at 0 otherwise. ``pooled`` is ``(estimate, lower, upper)``.
    """
    func = "forest_plot"
    names = [str(label) for label in labels]
    k = len(names)
    if k == 0:
        raise ValueError(f"{func}: labels is empty")
    est = _finite(estimates, "estimates", func, k)
    low = _finite(lower, "lower", func, k)
    high = _finite(upper, "upper", func, k)
    if np.isnan(est).any():
        raise ValueError(f"{func}: estimates has missing values")
    if (low > est).any() or (high < est).any():
        raise ValueError(f"{func}: each estimate must lie between lower and upper")
    if log_scale and ((est <= 0).any() or (low <= 0).any()):
        raise ValueError(f"{func}: log_scale needs positive estimates and limits")
    null = (1.0 if log_scale else 0.0) if null_value is None else null_value
    rows = k + (2 if pooled is not None else 0)
    figure = _new_figure(width, 1.1 + 0.32 * rows)
    axes = figure.add_subplot()
    positions = np.arange(k)[::-1] + (2 if pooled is not None else 0)
    axes.errorbar(
        est,
        positions,
        xerr=[est - low, high - est],
        fmt="s",
        color=PALETTE[0],
        ecolor=PALETTE[0],
        capsize=0,
        markersize=5,
    )
    tick_labels = list(names)
    tick_positions = list(positions)
    if pooled is not None:
        p_est, p_low, p_high = (float(v) for v in pooled)
        if not p_low <= p_est <= p_high:
            raise ValueError(f"{func}: pooled must be (estimate, lower, upper)")
        diamond_x = [p_low, p_est, p_high, p_est, p_low]
        diamond_y = [0, 0.3, 0, -0.3, 0]
        axes.fill(diamond_x, diamond_y, color=PALETTE[1])
        tick_labels.append(pooled_label)
        tick_positions.append(0)
    axes.axvline(null, color="grey", linewidth=1)
    if log_scale:
        axes.set_xscale("log")
        extent = [*low, *high, null] + (list(pooled) if pooled is not None else [])
        _plain_log_axis(axes.xaxis, min(extent) * 0.9, max(extent) * 1.1)
    axes.set_yticks(tick_positions)
    axes.set_yticklabels(tick_labels)
    axes.set_ylim(-0.8, max(tick_positions) + 0.8)
    axes.set_xlabel(xlabel)
    axes.grid(axis="x", alpha=0.3)
    if title:
        axes.set_title(title)
    described = "; ".join(
        f"{n}: {e:.3g} ({lo:.3g} to {hi:.3g})"
        for n, e, lo, hi in zip(names, est, low, high, strict=True)
    )
    if pooled is not None:
        described += (
            f"; {pooled_label}: {pooled[0]:.3g} ({pooled[1]:.3g} to {pooled[2]:.3g})"
        )
    return PlotResult(
        method="Forest plot",
        n=k,
        svg=_to_svg(figure),
        alt_text=f"{title or 'Forest plot'}. {described}.",
        title=title,
    )


# --------------------------------------------------------------- dose-response


@matplotlib.rc_context(_RC)
def dose_response_plot(
    categories: Sequence[str],
    estimates: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    *,
    null_value: float | None = None,
    log_scale: bool = False,
    xlabel: str = "Exposure",
    ylabel: str = "Estimate (95% CI)",
    title: str = "",
    width: float = 6.0,
) -> PlotResult:
    """Estimates with intervals across ordered exposure categories (e.g. contacts).

    The points are joined to show the trend; categories are taken in the order
    given (lowest dose first), the first usually being the reference.
    """
    func = "dose_response_plot"
    names = [str(c) for c in categories]
    k = len(names)
    if k == 0:
        raise ValueError(f"{func}: categories is empty")
    est = _finite(estimates, "estimates", func, k)
    low = _finite(lower, "lower", func, k)
    high = _finite(upper, "upper", func, k)
    if np.isnan(est).any():
        raise ValueError(f"{func}: estimates has missing values")
    ok = ~(np.isnan(low) | np.isnan(high))
    if (low[ok] > est[ok]).any() or (high[ok] < est[ok]).any():
        raise ValueError(f"{func}: each estimate must lie between lower and upper")
    if log_scale and (est <= 0).any():
        raise ValueError(f"{func}: log_scale needs positive estimates")
    null = (1.0 if log_scale else 0.0) if null_value is None else null_value
    figure = _new_figure(width, 3.8)
    axes = figure.add_subplot()
    x = np.arange(k)
    # A reference category has no interval (nan); draw it as a point only.
    yerr = np.vstack([np.where(ok, est - low, 0.0), np.where(ok, high - est, 0.0)])
    axes.errorbar(
        x, est, yerr=yerr, fmt="o-", color=PALETTE[0], capsize=3, markersize=5
    )
    axes.axhline(null, color="grey", linewidth=1, linestyle="--")
    if log_scale:
        axes.set_yscale("log")
        extent = [*est, *low[ok], *high[ok], null]
        _plain_log_axis(axes.yaxis, min(extent) * 0.9, max(extent) * 1.1)
    axes.set_xticks(x)
    axes.set_xticklabels(names)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(axis="y", alpha=0.3)
    if title:
        axes.set_title(title)
    described = "; ".join(
        f"{n}: {e:.3g}" + (f" ({lo:.3g} to {hi:.3g})" if good else " (reference)")
        for n, e, lo, hi, good in zip(names, est, low, high, ok, strict=True)
    )
    return PlotResult(
        method="Dose-response plot",
        n=k,
        svg=_to_svg(figure),
        alt_text=f"{title or 'Dose-response plot'}. {described}.",
        title=title,
    )
