"""The daily sweep of one township: send what is due, mark what is overdue, escalate, write the audit.

`sweep_township(db, township=…, today=D)` records in the reminder ledger every reminder whose date is
≤ D and that is not in the ledger yet, so running it twice in a day sends nothing twice, and running
it after a week of downtime catches up on everything missed. State lives in the database; the sweep
holds nothing between runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from congress.followup import schedule
from congress.followup.common import (
    TownshipOutputs,
    profile_of,
    safe_name,
    township_context,
    township_sessions,
)
from congress.followup.operations import adopt_session_handovers, item_of, reminder_view, write_calendar
from congress.followup.reports import overdue_workbook
from congress.lifecycle.operations import audit
from congress.models import HandlingRound, PresidiumMeeting, Reminder, Township
from congress.settings import Settings


@dataclass
class SweepResult:
    township: str
    today: date
    sent: int = 0
    superseded: int = 0
    overdue: int = 0
    escalated: int = 0
    adopted: int = 0
    open_rounds: int = 0
    presidium_meeting_due: date | None = None
    presidium_meeting_overdue: bool = False
    documents: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"township": self.township, "today": self.today.isoformat(), "sent": self.sent,
                "superseded": self.superseded, "overdue": self.overdue, "escalated": self.escalated,
                "adopted": self.adopted, "open_rounds": self.open_rounds,
                "presidium_meeting_due": self.presidium_meeting_due.isoformat() if self.presidium_meeting_due
                else None, "presidium_meeting_overdue": self.presidium_meeting_overdue,
                "documents": self.documents}


def sweep_township(db: Session, *, township: Township, today: date, actor: str, settings: Settings) -> SweepResult:
    """One township's sweep for day `today`."""
    profile = profile_of(township)
    result = SweepResult(township.code, today)
    result.adopted = len(adopt_session_handovers(db, township=township, actor=actor))
    rounds = db.scalars(select(HandlingRound).where(HandlingRound.township_id == township.id,
                                                    HandlingRound.state == "open",
                                                    HandlingRound.handed_over_on <= today)
                        .order_by(HandlingRound.id)).all()
    result.open_rounds = len(rounds)
    letters: dict[str, list[tuple[HandlingRound, Reminder]]] = {}
    escalations: list[HandlingRound] = []
    ledger: dict[int, set[tuple[str, str]]] = {}
    for round_id, kind, lead in db.execute(select(Reminder.round_id, Reminder.kind, Reminder.lead).join(
            HandlingRound).where(HandlingRound.township_id == township.id, HandlingRound.state == "open")):
        ledger.setdefault(round_id, set()).add((kind, lead))
    for rnd in rounds:
        done = ledger.get(rnd.id, set())
        plan = schedule.reminder_plan(profile, handed_over_on=rnd.handed_over_on, due_on=rnd.due_on)
        for decision in schedule.due_today(plan, done=done, today=today, due_on=rnd.due_on):
            p = decision.planned
            reminder = Reminder(round_id=rnd.id, kind=p.kind, lead=p.lead, scheduled_on=p.scheduled_on,
                                status=decision.status, sent_on=today if decision.status == "sent" else None)
            db.add(reminder)
            if decision.status == "superseded":
                result.superseded += 1
                continue
            result.sent += 1
            if p.kind == "overdue":
                rnd.overdue_on = today
                result.overdue += 1
            if p.kind == "escalation":
                rnd.escalated_on = today
                result.escalated += 1
                escalations.append(rnd)
            else:
                letters.setdefault(rnd.office, []).append((rnd, reminder))
    db.flush()
    out = TownshipOutputs(db, township, settings)
    for office, batch in letters.items():
        ctx = township_context(db, township, sign_date=today,
                               doc_number_text=out.number("reminder_letter", today.year))
        ctx.update(office=office, mode="remind", citation=str(profile.rule("suggestion_escalation").citation),
                   items=[reminder_view(db, township, rnd, today=today) for rnd, _ in batch])
        first = min(r.id for _, r in batch)
        doc = out.document("reminder_letter", "reminder_letter.md.j2",
                           f"催办/{today.isoformat()}/催办函-{safe_name(office)}-{first}", ctx,
                           title=f"代表建议催办函（{office}）", on=today)
        for _, reminder in batch:
            reminder.document_path = doc.path
    if escalations:
        overdue = [r for r in rounds if r.due_on < today]
        ctx = township_context(db, township, sign_date=today,
                               doc_number_text=out.number("overdue_list", today.year))
        spec = profile.rule("suggestion_escalation")
        ctx.update(escalation_days=spec["days"], citation=str(spec.citation),
                   escalated=[reminder_view(db, township, r, today=today) for r in escalations],
                   overdue=[reminder_view(db, township, r, today=today) for r in overdue])
        first_id = min(r.id for r in escalations)
        doc = out.document("overdue_list", "overdue_list.md.j2",
                           f"催办/{today.isoformat()}/逾期督办清单-{first_id}", ctx, title="代表建议逾期督办清单",
                           on=today)
        out.workbook("overdue_list_workbook", f"催办/{today.isoformat()}/逾期督办清单-{first_id}",
                     overdue_workbook(overdue_rounds(db, township, today=today), township=township, today=today),
                     on=today)
        for rnd in escalations:
            for reminder in db.scalars(select(Reminder).where(Reminder.round_id == rnd.id,
                                                              Reminder.kind == "escalation")):
                reminder.document_path = doc.path
    if result.sent or result.superseded or result.adopted:
        write_calendar(db, township, out, settings)
    result.presidium_meeting_due = presidium_meeting_due(db, township)
    result.presidium_meeting_overdue = bool(result.presidium_meeting_due and result.presidium_meeting_due < today)
    result.documents = out.written
    db.flush()
    audit(db, actor=actor, action="followup_swept", township_id=township.id, **result.as_dict())
    return result


def presidium_meeting_due(db: Session, township: Township) -> date | None:
    """The day by which the next presidium meeting should have been held: the profile's interval after
    the last one held (or after the last session closed, if later); None before any session."""
    held = db.scalars(select(PresidiumMeeting.held_on).where(PresidiumMeeting.township_id == township.id,
                                                             PresidiumMeeting.state == "held")).all()
    closings = [s.closing_date for s in township_sessions(db, township)]
    marks = [*held, *closings]
    if not marks:
        return None
    return schedule.presidium_meeting_due(profile_of(township), last=max(marks))


def overdue_rounds(db: Session, township: Township, *, today: date) -> list[dict[str, Any]]:
    """The overdue list: rounds still waiting for their reply after their due date, most overdue first."""
    rounds = db.scalars(select(HandlingRound).where(HandlingRound.township_id == township.id,
                                                    HandlingRound.state == "open",
                                                    HandlingRound.due_on < today)).all()
    views = []
    for rnd in sorted(rounds, key=lambda r: r.due_on):
        view = reminder_view(db, township, rnd, today=today)
        view.update(escalated_on=rnd.escalated_on, overdue_on=rnd.overdue_on, item_state=item_of(db, rnd).state)
        views.append(view)
    return views


def all_townships(db: Session) -> list[str]:
    return list(db.scalars(select(Township.code).order_by(Township.code)))
