"""Rows of the auth tables as records: the columns each query selects, and how to read them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sitroom.auth.sqldatabase import Database, Params, Row
from sitroom.auth.store import (
    Account,
    ApiTokenRecord,
    Invitation,
    SessionKind,
    SessionRecord,
    TokenScope,
)
from sitroom.conduct.principal import Role

ACCOUNT = "a.id, a.username, a.display_name, a.role, a.created_at, a.disabled, a.language"
INVITATION = (
    "i.id, i.run_id, i.display_name, i.role, i.team, i.party, i.language, i.created_by,"
    " i.created_at, i.expires_at, i.revoked_at, i.single_use, i.bind_device, i.used_at,"
    " i.device_hash, i.idp_email, i.idp_subject"
)
SESSION = (
    "s.token_hash, s.kind, s.subject_id, s.run_id, s.created_at, s.last_seen, s.expires_at,"
    " s.id_token"
)
TOKEN = (
    "t.id, t.account_id, t.name, t.hint, t.created_at, t.last_used_at, t.expires_at,"
    " t.revoked_at, t.scope"
)
ACCOUNT_WIDTH = 7
SESSION_WIDTH = 8
TOKEN_WIDTH = 9


class SqlRows:
    """Reads rows into records and runs one statement per transaction on ``database``."""

    def __init__(self, database: Database) -> None:
        """Keep rows in ``database``."""
        self._db = database

    def _optional_moment(self, value: Any) -> datetime | None:
        return None if value is None else self._db.moment(value)

    def _optional_stamp(self, moment: datetime | None) -> object:
        return None if moment is None else self._db.stamp(moment)

    def _account(self, row: Row) -> Account:
        return Account(
            id=row[0],
            username=row[1],
            display_name=row[2],
            role=Role(row[3]),
            created_at=self._db.moment(row[4]),
            disabled=bool(row[5]),
            language=row[6],
        )

    def _invitation(self, row: Row) -> Invitation:
        return Invitation(
            id=row[0],
            run_id=row[1],
            display_name=row[2],
            role=Role(row[3]),
            team=row[4],
            party=row[5],
            language=row[6],
            created_by=row[7],
            created_at=self._db.moment(row[8]),
            expires_at=self._db.moment(row[9]),
            revoked_at=self._optional_moment(row[10]),
            single_use=bool(row[11]),
            bind_device=bool(row[12]),
            used_at=self._optional_moment(row[13]),
            device_hash=row[14],
            idp_email=row[15],
            idp_subject=row[16],
        )

    def _session(self, row: Row) -> SessionRecord:
        return SessionRecord(
            token_hash=row[0],
            kind=SessionKind(row[1]),
            subject_id=row[2],
            run_id=row[3],
            created_at=self._db.moment(row[4]),
            last_seen=self._db.moment(row[5]),
            expires_at=self._db.moment(row[6]),
            id_token=row[7],
        )

    def _token(self, row: Row) -> ApiTokenRecord:
        return ApiTokenRecord(
            id=row[0],
            account_id=row[1],
            name=row[2],
            hint=row[3],
            created_at=self._db.moment(row[4]),
            last_used_at=self._optional_moment(row[5]),
            expires_at=self._optional_moment(row[6]),
            revoked_at=self._optional_moment(row[7]),
            scope=TokenScope(row[8]),
        )

    def _read(self, sql: str, params: Params | None = None) -> list[Row]:
        with self._db.transaction(write=False) as cursor:
            return cursor.rows(sql, params or {})

    def _write(self, sql: str, params: Params) -> int:
        with self._db.transaction(write=True) as cursor:
            return cursor.count(sql, params)
