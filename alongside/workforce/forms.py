"""The assignment form: the peers an actor may assign a participant to, each with
what matters when choosing (caseload against capacity, languages, lived experience
shared with the participant), grouped by whether the participant stays in the
actor's view."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alongside.core.formtools import LongSelect
from alongside.core.models import Membership, User
from alongside.participants.models import Participant
from alongside.participants.policies import assignable_peers, peers_keeping_view
from alongside.participants.selectors import open_caseloads
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
    outside the actor's view (four queries, whatever the number of peers). A
    supervisor may assign to every peer of their programs, a thousand at bench
    scale: the profiles come as values, and each phrase is translated once."""
    peers = assignable_peers(membership)
    users = list(
        peers.only("id", "external_id", "first_name", "last_name", "username").order_by(
            "first_name", "last_name", "username"
        )
    )
    caseloads = open_caseloads(peers.values("pk"), membership.organisation_id)
    profiles = {
        user_id: (capacity, tuple(languages or ()), tuple(lived or ()))
        for user_id, capacity, languages, lived in PeerProfile.objects.filter(
            user_id__in=peers.values("pk"),
            organisation_id=membership.organisation_id,
        ).values_list("user_id", "caseload_capacity", "languages", "lived_experience")
    }
    keeping = peers_keeping_view(membership)
    team = {u.pk for u in users} if keeping is None else keeping
    wanted = _shared_experience(participant)
    labels = {key: str(label) for key, label in LivedExperience.choices}
    of_capacity, people = gettext("%(n)d of %(cap)d"), gettext("%(n)d people")
    at_capacity, over_capacity = gettext("at capacity"), gettext("over capacity")
    speaks, shares = gettext("speaks %(language)s"), gettext("shares: %(what)s")
    language_names: dict[str, str] = {}

    def name_of(code: str) -> str:
        if code not in language_names:
            language_names[code] = language_name(code)
        return language_names[code]

    mine: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    by_value: dict[str, User] = {}
    for u in users:
        capacity, languages, lived = profiles.get(u.pk, (None, (), ()))
        n = caseloads.get(u.pk, 0)
        parts = [
            of_capacity % {"n": n, "cap": capacity}
            if capacity is not None
            else people % {"n": n}
        ]
        if capacity is not None and n >= capacity:
            parts.append(at_capacity if n == capacity else over_capacity)
        if languages:
            if participant.preferred_language in languages:
                parts.append(
                    speaks % {"language": name_of(participant.preferred_language)}
                )
            else:
                parts.append(", ".join(name_of(c) for c in languages))
        shared = [labels[e] for e in lived if e in wanted]
        if shared:
            parts.append(shares % {"what": ", ".join(shared)})
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
