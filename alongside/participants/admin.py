"""Nothing of participants is in the Django admin.

The admin is for platform operators (core.admin), who have no business with
participant records: a participant, their consent, enrolments and assignments are
read on the participant's page, by the people whose role and scope allow it, and
written through services, which validate and audit every change.
"""
