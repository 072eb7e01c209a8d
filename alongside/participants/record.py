"""The participant record as parts that apps register.

The participant page is a header (participants' own facts), the timeline and a set of
panels. Every app contributes its timeline sources and its panels from its
`AppConfig.ready()`; the page knows none of them by name, so a new app adds itself
without editing `participants` (see docs/architecture.md, "Adding an app").

- A **timeline source** gives, for one participant, the rows of one kind of event,
  newest first, the attribute holding the event's date or time (`when`), a tie-break
  timestamp (`stamp`), and the template that renders one entry.
- A **panel** is a section of the page: a template and a `build` function that
  returns its context (or None to leave it out for this viewer). Blank forms are
  built by the panel itself, so nothing is built for a panel that is not shown, and a
  bound form with errors reaches it through `PanelRequest.forms`.

- A **caseload column** adds annotations to the caseload query, a header, a cell
  template and optionally a sort (`CaseloadColumn`).

Panels are rendered in Python (`render_panels`), so a single panel can be returned on
its own later (htmx) without the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from alongside.core.access import MemberRequest
    from alongside.participants.models import Enrolment, Participant
    from alongside.participants.selectors import ParticipantRecord


@dataclass(frozen=True)
class TimelineSource:
    kind: str  # also the entry's CSS class and id prefix: "tl-<kind>"
    rows: Callable[[Participant], QuerySet[Any]]  # newest first
    when: str  # a date or an aware datetime attribute of the row
    stamp: str  # tie-break for dated rows: an aware datetime attribute
    template: str  # renders one entry: `entry`, `o` (the row), `identifying`
    # Called for each entry on the page shown (labels, derived text).
    decorate: Callable[[Any], None] | None = None


@dataclass
class PanelRequest:
    """What a panel's `build` gets: the viewer, the participant and shared facts."""

    request: MemberRequest
    participant: Participant
    identifying: bool
    can_record: bool
    record: ParticipantRecord  # the header's facts: enrolments, consents, peer
    forms: dict[str, Any] = field(default_factory=dict)  # bound forms with errors

    @property
    def open_enrolments(self) -> list[Enrolment]:
        return self.record.open_enrolments

    @property
    def membership(self) -> Any:
        return self.request.membership

    def form(self, key: str, blank: Callable[[], Any]) -> Any:
        """The bound form with errors for `key`, else a blank one."""
        return self.forms.get(key) or blank()

    def item_form(self, kind: str, obj: Model, blank: Callable[[], Any]) -> Any:
        """The form of one open item (a referral, an enrolment…): the bound one if it
        is this item's (`form.item == (kind, obj.pk)`), else a blank one."""
        bound = self.forms.get("item")
        return bound if getattr(bound, "item", None) == (kind, obj.pk) else blank()


@dataclass(frozen=True)
class Panel:
    key: str  # the section's id, and the key its forms use
    template: str
    order: int
    build: Callable[[PanelRequest], dict[str, Any] | None]
    column: str = "side"  # "main": above the timeline; "side": beside it


@dataclass(frozen=True)
class CaseloadColumn:
    """A column an app adds to the caseload table: annotations on the participant
    queryset (expressions over `OuterRef("pk")`, built per query), a header, the
    template of one cell (it gets `p`, the annotated participant) and optionally a
    sort the caseload offers."""

    key: str
    header: Any  # a lazily translated string
    annotations: Callable[[], dict[str, Any]]
    template: str
    order: int
    sort_label: Any = None  # offered as sort `key` when set
    sort_by: tuple[str, ...] = ()


_timeline: dict[str, TimelineSource] = {}
_panels: dict[str, Panel] = {}
_columns: dict[str, CaseloadColumn] = {}


def register_caseload_column(column: CaseloadColumn) -> None:
    if column.key in _columns:
        raise ValueError(f"caseload column {column.key!r} is registered twice")
    _columns[column.key] = column


def caseload_columns() -> list[CaseloadColumn]:
    return sorted(_columns.values(), key=lambda c: (c.order, c.key))


def register_timeline_source(source: TimelineSource) -> None:
    if source.kind in _timeline:
        raise ValueError(f"timeline source {source.kind!r} is registered twice")
    _timeline[source.kind] = source


def register_panel(panel: Panel) -> None:
    if panel.key in _panels:
        raise ValueError(f"panel {panel.key!r} is registered twice")
    if panel.column not in ("main", "side"):
        raise ValueError(f"panel {panel.key!r}: column must be 'main' or 'side'")
    _panels[panel.key] = panel


def timeline_sources() -> list[TimelineSource]:
    return list(_timeline.values())


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.column, p.order, p.key))


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    column: str
    html: SafeString


def render_panels(
    req: PanelRequest, page_context: dict[str, Any]
) -> list[RenderedPanel]:
    """Every registered panel this viewer gets, rendered in order."""
    out = []
    for panel in panels():
        ctx = panel.build(req)
        if ctx is None:
            continue
        html = render_to_string(
            panel.template, {**page_context, **ctx}, request=req.request
        )
        # Rendered by the template engine, which escaped every value.
        out.append(RenderedPanel(panel.key, panel.column, mark_safe(html)))  # noqa: S308
    return out
