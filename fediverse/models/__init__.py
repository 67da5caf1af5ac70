"""SQLAlchemy 2 typed models: domain state and invariants, no I/O, no JSON-LD."""

from fediverse.models.accounts import ROLES, STAFF_ROLES, Account, LocalUser, WebSession
from fediverse.models.activities import InboundActivity, OutboundActivity
from fediverse.models.base import Base, utcnow
from fediverse.models.domains import DomainHealth
from fediverse.models.follows import ACCEPTED, PENDING, Follow
from fediverse.models.moderation import (
    DOMAIN_SEVERITIES, REPORT_STATES, AuditLog, DomainBlock, EmailDomainBlock, Invite, InstanceSetting, RemoteMedia,
    Report,
)
from fediverse.models.notes import NOTE_VISIBILITIES, LocalNote
from fediverse.models.statuses import (
    NOTE_VISIBILITY, STATUS_VISIBILITIES, WORK_VISIBILITY, Bookmark, Favourite, Status, StatusAudience,
)
from fediverse.models.jobs import DEAD, DONE, QUEUED, RUNNING, Job
from fediverse.models.works import (
    VISIBILITIES, CollectionItem, Notification, Reaction, RemoteNote, RemoteNoteAudience, Work, WorkCollection, WorkImage,
)

__all__ = [
    "ACCEPTED", "DEAD", "DONE", "PENDING", "QUEUED", "ROLES", "RUNNING", "STAFF_ROLES", "Account", "Base", "DomainHealth",
    "Follow", "InboundActivity", "Job", "LocalUser", "OutboundActivity", "utcnow", "VISIBILITIES", "CollectionItem",
    "Notification", "Reaction", "RemoteNote", "RemoteNoteAudience", "Work", "WorkCollection", "WorkImage",
    "DOMAIN_SEVERITIES", "REPORT_STATES", "AuditLog", "DomainBlock", "EmailDomainBlock", "Invite", "InstanceSetting",
    "RemoteMedia", "Report", "WebSession", "STATUS_VISIBILITIES", "WORK_VISIBILITY", "Status", "StatusAudience",
    "NOTE_VISIBILITIES", "NOTE_VISIBILITY", "LocalNote", "Bookmark", "Favourite",
]
from fediverse.models.tags import StatusTag, Tag  # noqa: E402

__all__ += ["StatusTag", "Tag"]
from fediverse.models.oauth import OAuthApp, OAuthCode, OAuthToken  # noqa: E402

__all__ += ["OAuthApp", "OAuthCode", "OAuthToken"]
from fediverse.models.blocks import AccountBlock, AccountMute  # noqa: E402

__all__ += ["AccountBlock", "AccountMute"]

from fediverse.models.markers import MARKER_TIMELINES, Marker  # noqa: E402

__all__ += ["MARKER_TIMELINES", "Marker"]

from fediverse.models.media_uploads import IdempotencyKey, MediaUpload  # noqa: E402

__all__ += ["IdempotencyKey", "MediaUpload"]

from fediverse.models.interactions import QuoteAuthorization  # noqa: E402

__all__ += ["QuoteAuthorization"]
