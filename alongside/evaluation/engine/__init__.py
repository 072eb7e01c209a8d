"""Alongside evaluation engine: program evaluation from non-randomised records.

Plain Python over pandas, NumPy, SciPy and statsmodels; imports no Django, so it can
be used from a notebook, a script or the app alike. Every public function validates
its arguments (errors name the argument) and returns a :class:`Result` subclass
that states its method, sample size, warnings (small cells suppressed, positivity,
small samples) and caveats, and whose ``to_dict()`` is JSON-safe. Per-person arrays
(propensity scores, weights) stay on the objects and out of ``to_dict()``.

Public API by task (see docs/methods.md for the methods and a worked example):

Data
    :class:`Cohort`, :class:`CohortSpec`, :class:`CohortError`;
    :func:`simulate_cohort` (simulated cohorts with known truth),
    :func:`population_truth`.
Describing survival
    :func:`kaplan_meier`, :func:`kaplan_meier_by_group`, :func:`logrank_test`,
    :func:`rmst`, :func:`rmst_difference`.
Regression
    :func:`cox_ph`, :func:`logistic_regression`, :func:`linear_regression`.
Confounding adjustment
    :func:`fit_propensity`, :func:`ipw`, :func:`balance_table`.
Effects
    :func:`ipw_binary`, :func:`ipw_mean_difference`, :func:`ipw_survival`,
    :func:`aipw`, :func:`compare` (the full pipeline).
Time zero
    :func:`landmark`, :func:`clone_censor_weight`.
For whom / how much
    :func:`subgroup_effects`, :func:`dose_response`.
Across sites
    :func:`meta_analysis`.
Sensitivity to unmeasured confounding
    :func:`evalue_rr`, :func:`evalue_hr`, :func:`evalue_or`, :func:`evalue_rd`,
    :func:`evalue_smd`, :func:`evalue`.
Figures
    :func:`km_plot`, :func:`love_plot`, :func:`forest_plot`,
    :func:`dose_response_plot`.
Guard rails
    :class:`Result`, ``MIN_CELL``, :func:`suppress_count`, :func:`suppress_table`,
    :func:`small_sample_warning`.
"""

from __future__ import annotations

from .cohort import Cohort, CohortError, CohortSpec
from .cox import CoxResult, cox_ph
from .effects import (
    ComparisonResult,
    EffectEstimate,
    EffectResult,
    aipw,
    compare,
    ipw_binary,
    ipw_mean_difference,
    ipw_survival,
)
from .evalue import (
    EValueResult,
    evalue,
    evalue_hr,
    evalue_or,
    evalue_rd,
    evalue_rr,
    evalue_smd,
)
from .heterogeneity import (
    DoseResponseResult,
    SubgroupResult,
    dose_response,
    subgroup_effects,
)
from .meta import MetaAnalysisResult, meta_analysis
from .plots import PlotResult, dose_response_plot, forest_plot, km_plot, love_plot
from .regression import RegressionResult, linear_regression, logistic_regression
from .results import (
    MIN_CELL,
    MIN_SAMPLE,
    SUPPRESSED,
    Result,
    is_small_cell,
    small_sample_warning,
    suppress_count,
    suppress_table,
    to_jsonable,
)
from .rmst import RMSTDifferenceResult, RMSTResult, rmst, rmst_difference
from .simulate import SimulatedCohort, population_truth, simulate_cohort
from .survival import (
    KaplanMeierGroupsResult,
    KaplanMeierResult,
    LogRankResult,
    kaplan_meier,
    kaplan_meier_by_group,
    logrank_test,
)
from .timezero import (
    CloneCensorWeightResult,
    LandmarkResult,
    clone_censor_weight,
    landmark,
)
from .weighting import (
    BalanceResult,
    PropensityResult,
    WeightingResult,
    balance_table,
    fit_propensity,
    ipw,
)

__all__ = [
    "MIN_CELL",
    "MIN_SAMPLE",
    "SUPPRESSED",
    "BalanceResult",
    "CloneCensorWeightResult",
    "Cohort",
    "CohortError",
    "CohortSpec",
    "ComparisonResult",
    "CoxResult",
    "DoseResponseResult",
    "EValueResult",
    "EffectEstimate",
    "EffectResult",
    "KaplanMeierGroupsResult",
    "KaplanMeierResult",
    "LandmarkResult",
    "LogRankResult",
    "MetaAnalysisResult",
    "PlotResult",
    "PropensityResult",
    "RMSTDifferenceResult",
    "RMSTResult",
    "RegressionResult",
    "Result",
    "SimulatedCohort",
    "SubgroupResult",
    "WeightingResult",
    "aipw",
    "balance_table",
    "clone_censor_weight",
    "compare",
    "cox_ph",
    "dose_response",
    "dose_response_plot",
    "evalue",
    "evalue_hr",
    "evalue_or",
    "evalue_rd",
    "evalue_rr",
    "evalue_smd",
    "fit_propensity",
    "forest_plot",
    "ipw",
    "ipw_binary",
    "ipw_mean_difference",
    "ipw_survival",
    "is_small_cell",
    "kaplan_meier",
    "kaplan_meier_by_group",
    "km_plot",
    "landmark",
    "linear_regression",
    "logistic_regression",
    "logrank_test",
    "love_plot",
    "meta_analysis",
    "population_truth",
    "rmst",
    "rmst_difference",
    "simulate_cohort",
    "small_sample_warning",
    "subgroup_effects",
    "suppress_count",
    "suppress_table",
    "to_jsonable",
]

# Appended by the survival/regression owner: proportional hazards check for cox_ph.
from .cox import PHTestResult, proportional_hazards_test

__all__ += ["PHTestResult", "proportional_hazards_test"]
