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

Panels are rendered in Python (`render_panels`). A panel marked `deferred` (the
secondary ones: referrals, treatment, enrolments, consent, assignment) is sent closed,
as its summary only, and built when it is opened: htmx fetches its body from
`participants:panel` on the `<details>` element's first `toggle`. Without JavaScript
the closed panel holds a link to the page with `?open=<key>`, which builds it in
place. A panel is built in place, open, when the page asks for it (`?open=`), when it
holds a rejected form, or when the viewer records nothing (read-only viewers see every
panel open). Every panel is wrapped in the same `<details>` by
`participants/panels/_panel.html`; a panel's template renders only its body. A save
redirects to `?open=<key>#<key>` (`views.detail_url`), and its message is shown inside
that panel rather than at the top of the page (`message_panel`), where
web/static/web/focus.js focuses it.
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
    # The correction kind (`participants.corrections`) of the row the entry is
    # about, and the attribute leading to that row ("" for the row itself: a
    # referral's status change is about `referral`). The entry shows it voided or
    # amended, and links to its correction page.
    correct: str = ""
    target: str = ""


@dataclass
class PanelRequest:
    """What a panel's `build` gets: the viewer, the participant and shared facts."""

    request: MemberRequest
    participant: Participant
    identifying: bool
    can_record: bool
    record: ParticipantRecord  # the header's facts: enrolments, consents, peer
    forms: dict[str, Any] = field(default_factory=dict)  # bound forms with errors
    # Panels built in place and open: asked for with ?open=, holding a rejected form.
    open: frozenset[str] = frozenset()

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
    key: str  # the section's id, the key its forms use, its ?open= name
    template: str  # the body; _panel.html wraps it
    order: int
    build: Callable[[PanelRequest], dict[str, Any] | None]
    title: Any = ""  # the summary (a lazily translated string)
    column: str = "side"  # "main": above the timeline; "side": beside it
    # Sent closed and built on demand (see the module docstring). A deferred panel's
    # `build` must not depend on page context beyond the PanelRequest.
    deferred: bool = False
    # "details": a <details> the reader opens; "section": always shown, never deferred.
    kind: str = "details"
    # Who gets the panel, decided without queries; a deferred panel is not built to
    # find out. None: everyone `build` does not refuse.
    visible: Callable[[PanelRequest], bool] | None = None


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
    # Offered as a caseload filter (a checkbox) when set: the lookups on this
    # column's annotations that the filter keeps, e.g. {"in_treatment": True}.
    filter_label: Any = None
    filter_by: dict[str, Any] = field(default_factory=dict)


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
    if panel.kind not in ("details", "section"):
        raise ValueError(f"panel {panel.key!r}: kind must be 'details' or 'section'")
    if panel.deferred and panel.kind != "details":
        raise ValueError(f"panel {panel.key!r}: only a <details> panel can be deferred")
    _panels[panel.key] = panel


def timeline_sources() -> list[TimelineSource]:
    return list(_timeline.values())


def panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda p: (p.column, p.order, p.key))


def panel(key: str) -> Panel | None:
    return _panels.get(key)


@dataclass(frozen=True)
class RenderedPanel:
    key: str
    column: str
    html: SafeString


def is_deferred(panel: Panel, req: PanelRequest) -> bool:
    """Sent closed, to be built when opened: a secondary panel the page did not ask
    for, for a viewer who records (read-only viewers get every panel open)."""
    return panel.deferred and req.can_record and panel.key not in req.open


def render_body(
    panel: Panel, req: PanelRequest, page_context: dict[str, Any]
) -> tuple[dict[str, Any], SafeString] | None:
    """The panel's context and rendered body for this viewer, or None if the viewer
    does not get it."""
    if panel.visible is not None and not panel.visible(req):
        return None
    ctx = panel.build(req)
    if ctx is None:
        return None
    base = {
        "participant": req.participant,
        "identifying": req.identifying,
        "can_record": req.can_record,
    }
    html = render_to_string(
        panel.template, {**base, **page_context, **ctx}, request=req.request
    )
    # Rendered by the template engine, which escaped every value.
    return ctx, mark_safe(html)  # noqa: S308


def render_panels(
    req: PanelRequest, page_context: dict[str, Any]
) -> list[RenderedPanel]:
    """Every registered panel this viewer gets, in order: built in place, or, when
    deferred, its closed shell (summary, and a link for browsers without JS)."""
    out = []
    for p in panels():
        deferred = is_deferred(p, req)
        body: SafeString | None = None
        if deferred:
            if p.visible is not None and not p.visible(req):
                continue
        else:
            built = render_body(p, req, page_context)
            if built is None:
                continue
            body = built[1]
        html = render_to_string(
            "participants/panels/_panel.html",
            {
                "participant": req.participant,
                "panel": p,
                "body": body,
                "deferred": deferred,
                "open": not deferred and (p.key in req.open or not req.can_record),
                # The message of the save made in this panel (web/messages.html).
                "messages_here": page_context.get("message_panel") == p.key,
            },
            request=req.request,
        )
        out.append(RenderedPanel(p.key, p.column, mark_safe(html)))  # noqa: S308
    return out
