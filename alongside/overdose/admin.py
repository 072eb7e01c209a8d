"""Nothing of overdose is in the Django admin: events, follow-ups and distributions
are participant or community records, debriefs are about workers, and the areas
and settings have their own page (see participants/admin.py for why)."""
