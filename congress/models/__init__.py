"""SQLAlchemy 2.0 typed models, one aggregate per module."""

from congress.models.approval import PartyApproval, PresidiumDecision
from congress.models.attendance import Attendance, NoticeDelivery
from congress.models.records import AuditEvent, CalendarEntry, Document, StepRun
from congress.models.resolution import Resolution
from congress.models.session import AgendaItem, CongressSession, Motion, Report, Sitting
from congress.models.suggestion import Suggestion
from congress.models.township import Deputy, Officer, Term, Township
from congress.models.voting import Candidate, Election, ElectionRound, RoundCount, Vote

__all__ = [
    "AgendaItem",
    "Attendance",
    "AuditEvent",
    "CalendarEntry",
    "Candidate",
    "CongressSession",
    "Deputy",
    "Document",
    "Election",
    "ElectionRound",
    "Motion",
    "NoticeDelivery",
    "Officer",
    "PartyApproval",
    "PresidiumDecision",
    "Report",
    "Resolution",
    "RoundCount",
    "Sitting",
    "StepRun",
    "Suggestion",
    "Term",
    "Township",
    "Vote",
]
