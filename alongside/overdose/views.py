"""Pages for overdose prevention and response: the program's overdose page (stock,
kits given out, recent overdoses), giving naloxone, recording stock and overdoses,
the follow-up after a participant's overdose, the debrief owed to a peer, and the
program's settings and areas.

Records come through the gates in `selectors` (out of scope and unknown are both
404; a participant named by a row is noted for the read audit). A rejected form
changes nothing and comes back with the error next to the field at fault.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from alongside.core import clock
from alongside.core.access import MemberRequest, member_required
from alongside.core.formtools import apply_service_error, autofocus_first_error
from alongside.core.permissions import has_perm
from alongside.overdose import selectors, services
from alongside.overdose.forms import (
    AcknowledgeForm,
    AreaForm,
    AttemptForm,
    CheckForm,
    CloseForm,
    DebriefForm,
    DrugCheckForm,
    EventForm,
    NaloxoneForm,
    ReportForm,
    SettingsForm,
    StockForm,
)
from alongside.overdose.models import (
    Area,
    GivenBy,
    OutreachAlert,
    SpikeAlert,
    Substance,
)
from alongside.participants.forms import member_programs
from alongside.participants.policies import (
    parse_external_id,
    participant_get_for_user,
)
from alongside.participants.views import detail_url

RECENT_DAYS = 30


def _program(request: MemberRequest) -> tuple[list[Any], Any]:
    programs = selectors.member_programs(request.membership)
    key = request.GET.get("program", "")
    chosen = next((p for p in programs if str(p.external_id) == key), None)
    if key and chosen is None:
        raise Http404
    return programs, chosen or (programs[0] if programs else None)


def _participant(request: MemberRequest) -> Any:
    pid = request.GET.get("participant", "")
    if not pid:
        return None
    return participant_get_for_user(request.membership, pid, "record")


def _written(request: MemberRequest, form: Any, write: Any) -> bool:
    """Run the service for a valid form; its refusal goes next to the field."""
    if not form.is_valid():
        autofocus_first_error(form)
        return False
    try:
        write(form.cleaned_data)
    except ValidationError as exc:
        apply_service_error(form, exc)
        autofocus_first_error(form)
        return False
    return True


@member_required("care.record")
@require_http_methods(["GET"])
def home(request: MemberRequest) -> HttpResponse:
    """A program's overdose work at a glance: naloxone on hand at each site, with
    low-stock and expiry warnings; kits given out and overdoses in the last 30 days
    (naming nobody); the follow-ups owed."""
    m = request.membership
    programs, program = _program(request)
    ctx: dict[str, Any] = {"nav": "overdose", "programs": programs, "program": program}
    if program is not None:
        today = clock.today(m.organisation)
        since = today - dt.timedelta(days=RECENT_DAYS)
        ctx |= {
            "settings": services.settings_for(program),
            "stock": selectors.stock([program], today),
            "distributions": selectors.recent_distributions([program], since),
            "events": selectors.recent_events(
                m, [program], clock.start_of_day(since, m.organisation)
            ),
            "days": RECENT_DAYS,
            "can_stock": has_perm(m, "naloxone.stock"),
            "can_configure": has_perm(m, "overdose.configure"),
            "can_report": has_perm(m, "program.overview"),
        }
    return render(request, "overdose/home.html", ctx)


@member_required("care.record")
@require_http_methods(["GET", "POST"])
def naloxone_create(request: MemberRequest) -> HttpResponse:
    """Give naloxone kits: to the participant whose record it was opened from, or
    to a community member, who stays anonymous."""
    m = request.membership
    participant = _participant(request)
    programs = selectors.member_programs(m)
    form = NaloxoneForm(
        request.POST or None,
        sites=selectors.sites_of(programs),
        today=clock.today(m.organisation),
        for_participant=participant is not None,
    )
    if request.method == "POST":

        def write(data: dict[str, Any]) -> None:
            site = data["site"]
            services.naloxone_distribute(
                actor=m,
                program=site.program,
                site=site,
                kits=data["kits"],
                formulation=data["formulation"],
                recipient=data.get("recipient") or "participant",
                given_on=data["given_on"],
                channel=data["channel"],
                trained=data["trained"],
                participant=participant,
            )

        if _written(request, form, write):
            messages.success(request, _("Naloxone given recorded."))
            if participant is not None:
                return redirect(detail_url(participant, "overdose"))
            program = form.cleaned_data["site"].program
            return redirect(f"{reverse('overdose:home')}?program={program.external_id}")
    return render(
        request,
        "overdose/naloxone_form.html",
        {
            "nav": "caseload" if participant else "overdose",
            "participant": participant,
            "identifying": True,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required("naloxone.stock")
@require_http_methods(["GET", "POST"])
def stock_create(request: MemberRequest) -> HttpResponse:
    """Naloxone received (with its expiry date), taken out as expired, or adjusted
    after a count."""
    m = request.membership
    programs = selectors.member_programs(m)
    form = StockForm(
        request.POST or None,
        sites=selectors.sites_of(programs),
        today=clock.today(m.organisation),
    )
    if request.method == "POST":

        def write(data: dict[str, Any]) -> None:
            services.stock_movement_record(
                actor=m,
                site=data["site"],
                kind=data["kind"],
                formulation=data["formulation"],
                kits=data["kits"],
                occurred_on=data["occurred_on"],
                expires_on=data["expires_on"],
                reason=data["reason"],
            )

        if _written(request, form, write):
            messages.success(request, _("Stock updated."))
            program = form.cleaned_data["site"].program
            return redirect(
                f"{reverse('overdose:home')}?program={program.external_id}#stock"
            )
    return render(
        request,
        "overdose/stock_form.html",
        {"nav": "overdose", "form": form},
        status=400 if request.method == "POST" else 200,
    )


@member_required("care.record")
@require_http_methods(["GET", "POST"])
def event_create(request: MemberRequest) -> HttpResponse:
    """Record an overdose, witnessed or heard about: of the participant whose record
    it was opened from, or of someone unknown, who stays anonymous."""
    m = request.membership
    participant = _participant(request)
    form = EventForm(
        request.POST or None,
        programs=member_programs(m),
        areas=selectors.areas_of(m),
        now=clock.local_now(m.organisation),
        program=_enrolled_in(m, participant),
    )
    if request.method == "POST":
        made: list[Any] = []

        def write(data: dict[str, Any]) -> None:
            made.append(
                services.overdose_event_record(
                    actor=m,
                    program=data["program"],
                    occurred_at=data["occurred_at"],
                    area=data["area"],
                    outcome=data["outcome"],
                    reported_by=data["reported_by"],
                    witnessed=data["witnessed"],
                    setting=data["setting"],
                    substances=data["substances"],
                    naloxone_doses=data["naloxone_doses"],
                    naloxone_by=data["naloxone_by"],
                    kits_used=data["kits_used"],
                    emergency_called=data["emergency_called"],
                    peer_responded=data["peer_responded"],
                    note=data["note"],
                    participant=participant,
                )
            )

        if _written(request, form, write):
            event = made[0]
            messages.success(request, _("Overdose recorded."))
            if participant is not None and hasattr(event, "follow_up"):
                due = event.follow_up.due_at.astimezone(clock.zone(m.organisation))
                messages.info(
                    request,
                    _("A follow-up is due by %(when)s: it is on Today.")
                    % {"when": formats.date_format(due, "SHORT_DATETIME_FORMAT")},
                )
            if event.peer_responded:
                messages.info(
                    request,
                    _(
                        "You responded to an overdose: a debrief with your supervisor "
                        "is owed to you. Look after yourself."
                    ),
                )
            return redirect("overdose:event", eid=event.external_id)
    return render(
        request,
        "overdose/event_form.html",
        {
            "nav": "caseload" if participant else "overdose",
            "participant": participant,
            "identifying": True,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


def _enrolled_in(m: Any, participant: Any) -> Any:
    """The participant's program among the member's, if just one is open."""
    if participant is None:
        return None
    from alongside.participants.models import Enrolment

    programs = {
        e.program
        for e in Enrolment.objects.filter(
            participant=participant,
            ended_on__isnull=True,
            program__in=member_programs(m),
        ).select_related("program")
    }
    return programs.pop() if len(programs) == 1 else None


@member_required("care.record")
@require_http_methods(["GET"])
def event_detail(request: MemberRequest, eid: str) -> HttpResponse:
    m = request.membership
    event = selectors.event_get_for_user(m, eid)
    follow_up = getattr(event, "follow_up", None) if event.participant_id else None
    return render(
        request,
        "overdose/event.html",
        {
            "nav": "overdose",
            "event": event,
            "participant": event.participant,
            "follow_up": follow_up,
            "substances": selectors.labels(event.substances, Substance.choices),
            "given_by": selectors.labels(event.naloxone_by, GivenBy.choices),
        },
    )


def _follow_up_page(
    request: MemberRequest,
    follow_up: Any,
    *,
    attempt_form: Any = None,
    close_form: Any = None,
    status: int = 200,
) -> HttpResponse:
    m = request.membership
    now = clock.local_now(m.organisation)
    return render(
        request,
        "overdose/follow_up.html",
        {
            "nav": "today",
            "follow_up": follow_up,
            "participant": follow_up.participant,
            "event": follow_up.event,
            "attempts": list(follow_up.attempts.select_related("by")),
            "attempt_form": attempt_form or AttemptForm(now=now),
            "close_form": close_form or CloseForm(),
            "overdue": follow_up.is_open and follow_up.due_at < clock.now(),
        },
        status=status,
    )


@member_required("care.record")
@require_http_methods(["GET"])
def follow_up_detail(request: MemberRequest, fid: str) -> HttpResponse:
    follow_up = selectors.follow_up_get_for_user(request.membership, fid)
    return _follow_up_page(request, follow_up)


@member_required("care.record")
@require_POST
def follow_up_attempt(request: MemberRequest, fid: str) -> HttpResponse:
    m = request.membership
    follow_up = selectors.follow_up_get_for_user(m, fid)
    form = AttemptForm(request.POST, now=clock.local_now(m.organisation))

    def write(data: dict[str, Any]) -> None:
        services.follow_up_attempt_record(
            actor=m,
            follow_up=follow_up,
            method=data["method"],
            reached=data["reached"],
            attempted_at=data["attempted_at"],
            note=data["note"],
        )

    if _written(request, form, write):
        messages.success(request, _("Attempt logged."))
        return redirect("overdose:follow-up", fid=follow_up.external_id)
    return _follow_up_page(request, follow_up, attempt_form=form, status=400)


@member_required("care.record")
@require_POST
def follow_up_close(request: MemberRequest, fid: str) -> HttpResponse:
    m = request.membership
    follow_up = selectors.follow_up_get_for_user(m, fid)
    form = CloseForm(request.POST)

    def write(data: dict[str, Any]) -> None:
        services.follow_up_close(actor=m, follow_up=follow_up, outcome=data["outcome"])

    if _written(request, form, write):
        messages.success(request, _("Follow-up closed."))
        return redirect(detail_url(follow_up.participant, "overdose"))
    return _follow_up_page(request, follow_up, close_form=form, status=400)


@member_required()
@require_http_methods(["GET", "POST"])
def debrief_detail(request: MemberRequest, did: str) -> HttpResponse:
    """The debrief owed to a peer after a critical incident, seen by the peer, their
    supervisor and the program's managers; recorded by the supervisor or a manager."""
    m = request.membership
    debrief = selectors.debrief_get_for_user(m, did)
    can_record = (
        has_perm(m, "debrief.record")
        and debrief.is_owed
        and debrief.peer_id != m.user_id
    )
    if request.method == "POST" and not can_record:
        raise Http404
    form = (
        DebriefForm(request.POST or None, today=clock.today(m.organisation))
        if can_record
        else None
    )
    if request.method == "POST" and form is not None:

        def write(data: dict[str, Any]) -> None:
            services.debrief_record(
                actor=m,
                debrief=debrief,
                outcome=data["outcome"],
                held_on=data["held_on"],
                note=data["note"],
            )

        if _written(request, form, write):
            messages.success(request, _("Debrief recorded."))
            return redirect("overdose:debrief", did=debrief.external_id)
    return render(
        request,
        "overdose/debrief.html",
        {
            "nav": "today",
            "debrief": debrief,
            "form": form,
            "overdue": debrief.is_owed and debrief.due_at < clock.now(),
            # Whoever may open it (the peer, their supervisor, the managers).
            "see_note": True,
        },
        status=400 if request.method == "POST" else 200,
    )


@member_required("overdose.configure")
@require_http_methods(["GET", "POST"])
def settings_page(request: MemberRequest) -> HttpResponse:
    """A program's overdose settings, and the organisation's areas."""
    m = request.membership
    programs, program = _program(request)
    if program is None:
        raise Http404
    current = services.settings_for(program)
    what = request.POST.get("form", "")
    form = SettingsForm(request.POST if what == "settings" else None, instance=current)
    area_form = AreaForm(request.POST if what == "area" else None)
    here = f"{reverse('overdose:settings')}?program={program.external_id}"
    if request.method == "POST":
        if what == "settings":
            fields = SettingsForm.Meta.fields

            def write(data: dict[str, Any]) -> None:
                services.overdose_settings_update(
                    actor=m, program=program, **{f: data[f] for f in fields}
                )

            if _written(request, form, write):
                messages.success(request, _("Settings saved."))
                return redirect(here)
        elif what == "area":

            def add(data: dict[str, Any]) -> None:
                services.area_create(actor=m, name=data["name"], code=data["code"])

            if _written(request, area_form, add):
                messages.success(request, _("Area added."))
                return redirect(f"{here}#areas")
        elif what == "area-use":
            area = (
                selectors.areas_of(m, active=False)
                .filter(external_id=parse_external_id(request.POST.get("area", "")))
                .first()
            )
            if area is None:
                raise Http404
            services.area_set_active(
                actor=m, area=area, is_active=request.POST.get("use") == "on"
            )
            messages.success(request, _("Area updated."))
            return redirect(f"{here}#areas")
        else:
            raise Http404
    return render(
        request,
        "overdose/settings.html",
        {
            "nav": "overdose",
            "programs": programs,
            "program": program,
            "form": form,
            "area_form": area_form,
            "areas": list(selectors.areas_of(m, active=False)),
            "area_model": Area,
        },
        status=400 if request.method == "POST" else 200,
    )


SPIKE_DAYS = 90


@member_required("care.record")
@require_http_methods(["GET"])
def spikes(request: MemberRequest) -> HttpResponse:
    """Daily overdoses over 90 days for the program or one area, with the upper
    bound of the program's EARS method and the alerts it raised; the active alerts,
    acknowledged by a manager. Counts only, but daily counts by area with real dates:
    for those who do the work. Blind roles (evaluators, administrators) get the
    monthly figures, suppressed, instead (a de-identified record shows an overdose's
    area, and a day's count of one in that area would give its real date)."""
    programs, program = _program(request)
    if program is None:
        raise Http404
    return _spikes_page(request, programs, program)


def _spikes_page(
    request: MemberRequest,
    programs: list[Any],
    program: Any,
    *,
    status: int = 200,
    errors: dict[str, Any] | None = None,
) -> HttpResponse:
    m = request.membership
    areas = list(selectors.areas_of(m, active=False))
    key = request.GET.get("area", "")
    area = next((a for a in areas if str(a.external_id) == key), None)
    if key and area is None:
        raise Http404
    today = clock.today(m.organisation)
    view = selectors.spike_view(program, area, today, SPIKE_DAYS)
    return render(
        request,
        "overdose/spikes.html",
        {
            "nav": "overdose",
            "programs": programs,
            "program": program,
            "areas": areas,
            "area": area,
            "view": view,
            "rules": services.settings_for(program),
            "active": selectors.active_alerts([program]),
            "can_acknowledge": has_perm(m, "spike.acknowledge"),
            "can_work": has_perm(m, "care.record"),
            "days": SPIKE_DAYS,
            "errors": errors or {},
        },
        status=status,
    )


@member_required("spike.acknowledge")
@require_POST
def spikes_check(request: MemberRequest) -> HttpResponse:
    """Run spike detection for the program now, on the queue."""
    from alongside.overdose import tasks

    m = request.membership
    programs = selectors.member_programs(m)
    key = request.POST.get("program", "")
    program = next((p for p in programs if str(p.external_id) == key), None)
    if program is None:
        raise Http404
    form = CheckForm(request.POST)
    if not form.is_valid():
        return _spikes_page(
            request,
            programs,
            program,
            status=400,
            errors={"check": form.errors["days"]},
        )
    days = form.cleaned_data["days"]
    tasks.detect_spikes.enqueue(program.pk, days)
    messages.success(
        request,
        _(
            "Spike detection is queued for the last %(n)d days: the alerts appear "
            "here when the worker has run it."
        )
        % {"n": days},
    )
    return redirect(f"{reverse('overdose:spikes')}?program={program.external_id}")


@member_required("spike.acknowledge")
@require_POST
def spike_acknowledge(request: MemberRequest, sid: str) -> HttpResponse:
    m = request.membership
    alert = (
        SpikeAlert.objects.filter(
            program__in=selectors.member_programs(m),
            external_id=parse_external_id(sid),
        )
        .select_related("program")
        .first()
    )
    if alert is None:
        raise Http404
    form = AcknowledgeForm(request.POST)
    here = f"{reverse('overdose:spikes')}?program={alert.program.external_id}"
    if _written(
        request,
        form,
        lambda data: services.spike_alert_acknowledge(
            actor=m, alert=alert, response=data["response"]
        ),
    ):
        messages.success(request, _("Alert acknowledged."))
        return redirect(here)
    return _spikes_page(
        request,
        selectors.member_programs(m),
        alert.program,
        status=400,
        errors={str(alert.external_id): form.errors.get("response")},
    )


DRUG_CHECK_DAYS = 90


@member_required("care.record")
@require_http_methods(["GET", "POST"])
def drug_checks(request: MemberRequest) -> HttpResponse:
    """Drug-checking results by area and day over 90 days, recording one, and the
    outreach alerts written for those marked as alerts."""
    m = request.membership
    programs, program = _program(request)
    if program is None:
        raise Http404
    today = clock.today(m.organisation)
    form = DrugCheckForm(
        request.POST or None,
        programs=member_programs(m),
        areas=selectors.areas_of(m),
        today=today,
        initial={"program": program.external_id},
    )
    if request.method == "POST":

        def write(data: dict[str, Any]) -> None:
            services.drug_check_record(
                actor=m,
                program=data["program"],
                area=data["area"],
                tested_on=data["tested_on"],
                method=data["method"],
                sold_as=data["sold_as"],
                found=data["found"],
                is_alert=data["is_alert"],
                note=data["note"],
            )

        if _written(request, form, write):
            messages.success(request, _("Drug-checking result recorded."))
            chosen = form.cleaned_data["program"]
            return redirect(
                f"{reverse('overdose:drug-checks')}?program={chosen.external_id}"
            )
    return _drug_checks_page(
        request,
        programs,
        program,
        form,
        status=400 if request.method == "POST" else 200,
    )


def _drug_checks_page(
    request: MemberRequest,
    programs: list[Any],
    program: Any,
    form: Any,
    *,
    status: int = 200,
    send_error: tuple[Any, str] | None = None,
) -> HttpResponse:
    m = request.membership
    today = clock.today(m.organisation)
    return render(
        request,
        "overdose/drug_checks.html",
        {
            "nav": "overdose",
            "programs": programs,
            "program": program,
            "form": form,
            "checks": selectors.drug_checks(
                program, today - dt.timedelta(days=DRUG_CHECK_DAYS)
            ),
            "days": DRUG_CHECK_DAYS,
            "can_send": has_perm(m, "spike.acknowledge"),
            "languages": dict(settings.LANGUAGES),
            "send_error": send_error,
        },
        status=status,
    )


@member_required("spike.acknowledge")
@require_POST
def outreach_alert_send(request: MemberRequest, oid: str) -> HttpResponse:
    m = request.membership
    alert = (
        OutreachAlert.objects.filter(
            drug_check__program__in=selectors.member_programs(m),
            external_id=parse_external_id(oid),
        )
        .select_related("drug_check__program")
        .first()
    )
    if alert is None:
        raise Http404
    here = (
        f"{reverse('overdose:drug-checks')}?program="
        f"{alert.drug_check.program.external_id}#check-{alert.drug_check.external_id}"
    )
    try:
        services.outreach_alert_send(actor=m, alert=alert)
    except ValidationError as exc:
        form = DrugCheckForm(
            programs=member_programs(m),
            areas=selectors.areas_of(m),
            today=clock.today(m.organisation),
        )
        return _drug_checks_page(
            request,
            selectors.member_programs(m),
            alert.drug_check.program,
            form,
            status=400,
            send_error=(alert.pk, "; ".join(exc.messages)),
        )
    messages.success(request, _("Outreach alert sent."))
    return redirect(here)


@member_required("program.overview")
@require_http_methods(["GET"])
def reports_page(request: MemberRequest) -> HttpResponse:
    """The program's overdose figures by month and by area, small cells suppressed
    for viewers without identifying access; `?format=csv` downloads them."""
    from alongside.overdose import reports
    from alongside.participants.policies import can_view_identifying

    m = request.membership
    programs = selectors.member_programs(m)
    today = clock.today(m.organisation)
    asked = any(k in request.GET for k in ("program", "since", "until"))
    form = ReportForm(request.GET if asked else None, programs=programs, today=today)
    program, since, until = form.chosen()
    if program is None:
        raise Http404
    report = reports.report(program, since, until, suppress=not can_view_identifying(m))
    if request.GET.get("format") == "csv" and (not form.is_bound or form.is_valid()):
        response = HttpResponse(
            reports.as_csv(report), content_type="text/csv; charset=utf-8"
        )
        name = f"overdose-{since.isoformat()}-{until.isoformat()}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(
        request,
        "overdose/reports.html",
        {
            "nav": "overview",
            "form": form,
            "report": report,
            "method": reports.METHOD,
            "small": reports.SMALL_CELL_MAX + 1,
            "query": request.GET.urlencode(),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
