"""Nothing of care is in the Django admin: contacts, referrals and treatment are
participant records (see participants/admin.py for why)."""
