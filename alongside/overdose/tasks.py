"""Background work for overdose: spike detection, on the django-tasks queue (the
database backend: `alongside db_worker` runs it; docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def detect_spikes(program_id: int, days: int = 14) -> dict[str, Any]:
    """`detection.detect` for one program over its last `days` days."""
    from alongside.core.models import Program
    from alongside.overdose import detection

    program = Program.objects.select_related("organisation").get(pk=program_id)
    result = detection.detect(program, days=days)
    return {"judged": result.judged, "alerts": len(result.alerts)}
