"""SQLAlchemy 2.0 typed models, one aggregate per module."""

from congress.models.approval import PartyApproval, PresidiumDecision
from congress.models.attendance import Attendance, NoticeDelivery
from congress.models.auth import User, WebSession
from congress.models.calendar import CalendarDetail, FeedToken
from congress.models.deputy_page import DeputyEntry, DeputyLink, DeputyMaterial, MotionDraft
from congress.models.followup import (
    FollowupDocument,
    HandlingRound,
    Petition,
    PresidiumMeeting,
    Reminder,
    ResolutionItem,
    SupervisionActivity,
    Training,
    VoterReport,
)
from congress.models.launch import FlowLaunch
from congress.models.numbering import DocNumber, DocumentSettings
from congress.models.records import AuditEvent, CalendarEntry, Document, StepRun
from congress.models.resolution import Resolution
from congress.models.session import AgendaItem, CongressSession, Motion, Report, Sitting
from congress.models.storage import StoredContent, StoredFile
from congress.models.suggestion import Suggestion
from congress.models.township import Deputy, Officer, Term, Township
from congress.models.voting import Candidate, Election, ElectionRound, RoundCount, Vote

__all__ = [
    "AgendaItem",
    "Attendance",
    "AuditEvent",
    "CalendarDetail",
    "CalendarEntry",
    "Candidate",
    "CongressSession",
    "Deputy",
    "DeputyEntry",
    "DeputyLink",
    "DeputyMaterial",
    "DocNumber",
    "DocumentSettings",
    "Document",
    "Election",
    "ElectionRound",
    "FeedToken",
    "FlowLaunch",
    "FollowupDocument",
    "HandlingRound",
    "Motion",
    "MotionDraft",
    "NoticeDelivery",
    "Officer",
    "PartyApproval",
    "Petition",
    "PresidiumDecision",
    "PresidiumMeeting",
    "Reminder",
    "Report",
    "Resolution",
    "ResolutionItem",
    "RoundCount",
    "Sitting",
    "StepRun",
    "StoredContent",
    "StoredFile",
    "Suggestion",
    "SupervisionActivity",
    "Term",
    "Township",
    "Training",
    "User",
    "Vote",
    "VoterReport",
    "WebSession",
]
