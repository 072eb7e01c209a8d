"""The assignment form: the peers an actor may assign a participant to, each with
what matters when choosing (caseload against capacity, languages, lived experience
shared with the participant), grouped by whether the participant stays in the
actor's view."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alongside.core.formtools import LongSelect
from alongside.core.models import Membership, User
from alongside.participants.models import Assignment, Participant
from alongside.participants.policies import assignable_peers, peers_keeping_view
from alongside.workforce.models import LivedExperience, PeerProfile
from alongside.workforce.selectors import language_name


def _shared_experience(participant: Participant) -> set[str]:
    """The lived experiences a peer would share with this participant."""
    substances = set(participant.primary_substances or ())
    shared: set[str] = set()
    if substances:
        shared.add(LivedExperience.SUBSTANCE_USE)
    if "opioids" in substances:
        shared.add(LivedExperience.OPIOID_TREATMENT)
    return shared


def peer_options(
    membership: Membership, participant: Participant
) -> tuple[list[tuple[str, list[tuple[str, str]]]], dict[str, User], set[int]]:
    """Grouped (value, label) options, the users by value, and the ids of those
    outside the actor's view (three queries, whatever the number of peers)."""
    users = list(
        assignable_peers(membership)
        .only("id", "external_id", "first_name", "last_name", "username")
        .order_by("first_name", "last_name", "username")
    )
    ids = [u.pk for u in users]
    caseloads = dict(
        Assignment.objects.filter(
            peer_id__in=ids,
            ended_at__isnull=True,
            participant__organisation_id=membership.organisation_id,
            participant__archived_at__isnull=True,
        )
        .values("peer_id")
        .annotate(n=Count("participant", distinct=True))
        .values_list("peer_id", "n")
    )
    profiles = {
        p.user_id: p
        for p in PeerProfile.objects.filter(
            user_id__in=ids, organisation_id=membership.organisation_id
        ).only("user_id", "caseload_capacity", "languages", "lived_experience")
    }
    keeping = peers_keeping_view(membership)
    team = set(ids) if keeping is None else keeping
    wanted = _shared_experience(participant)
    labels = dict(LivedExperience.choices)
    mine: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    by_value: dict[str, User] = {}
    for u in users:
        profile = profiles.get(u.pk)
        n = caseloads.get(u.pk, 0)
        capacity = profile.caseload_capacity if profile else None
        parts = [
            gettext("%(n)d of %(cap)d") % {"n": n, "cap": capacity}
            if capacity is not None
            else gettext("%(n)d people") % {"n": n}
        ]
        if capacity is not None and n >= capacity:
            parts.append(
                gettext("at capacity") if n == capacity else gettext("over capacity")
            )
        languages = list(profile.languages or ()) if profile else []
        if languages:
            names = [language_name(c) for c in languages]
            if participant.preferred_language in languages:
                parts.append(
                    gettext("speaks %(language)s")
                    % {"language": language_name(participant.preferred_language)}
                )
            else:
                parts.append(", ".join(names))
        shared = (
            [str(labels[e]) for e in (profile.lived_experience or ()) if e in wanted]
            if profile
            else []
        )
        if shared:
            parts.append(gettext("shares: %(what)s") % {"what": ", ".join(shared)})
        value = str(u.external_id)
        label = f"{u.get_full_name() or u.username} — {' · '.join(parts)}"
        (mine if u.pk in team else others).append((value, label))
        by_value[value] = u
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    if mine:
        groups.append((gettext("Your team"), mine))
    if others:
        groups.append(
            (
                gettext(
                    "Other peers in your programs (you will no longer see this participant)"
                ),
                others,
            )
        )
    return groups, by_value, {by_value[v].pk for v, _l in others}


class AssignmentForm(forms.Form):
    peer = forms.TypedChoiceField(label=_("Peer worker"), choices=(), widget=LongSelect)
    handover_note = forms.CharField(
        label=_("Hand-over note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "What the new peer should know: where things stand, what was promised, how "
            "the person prefers to be contacted."
        ),
    )
    confirm_leaving_view = forms.BooleanField(
        label=_(
            "I know that once they are assigned to a peer outside my team, I will no "
            "longer see this participant."
        ),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        membership: Membership,
        participant: Participant,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "assignment-%s")
        super().__init__(*args, **kwargs)
        groups, by_value, outside = peer_options(membership, participant)
        field = self.fields["peer"]
        field.choices = [("", "—"), *groups]  # type: ignore[attr-defined]
        field.coerce = by_value.__getitem__  # type: ignore[attr-defined]
        if not outside:
            del self.fields["confirm_leaving_view"]
