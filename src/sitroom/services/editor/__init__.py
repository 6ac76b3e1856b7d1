"""The package editor: drafts written in the browser, edits that keep the planner's YAML as
written, versions, conflicts and merges, and downloads (`Drafts` is the way in)."""

from sitroom.services.editor.changes import Change, Diff
from sitroom.services.editor.edits import Edit, EditorError
from sitroom.services.editor.service import Drafts
from sitroom.services.editor.store import DraftStore, open_draft_store
from sitroom.services.editor.views import (
    CheckResult,
    Conflict,
    DraftNotFound,
    DraftSummary,
    DraftVersion,
    VersionInfo,
)

__all__ = [
    "Change",
    "CheckResult",
    "Conflict",
    "Diff",
    "DraftNotFound",
    "DraftStore",
    "DraftSummary",
    "DraftVersion",
    "Drafts",
    "Edit",
    "EditorError",
    "VersionInfo",
    "open_draft_store",
]
