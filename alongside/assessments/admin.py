"""Nothing of assessments is in the Django admin: assessments and safety flags are
participant records (see participants/admin.py for why)."""
