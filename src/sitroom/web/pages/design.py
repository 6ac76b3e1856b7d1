"""Design pages for planners (admin and facilitator accounts): packages, MSELs, runs, invitations.

Upload a package (YAML) or a spreadsheet MSEL and see every problem where it is; browse a
package as the Controller/Evaluator Handbook lays it out; make a run of it (or of a bundled
example); invite people into a run and print their join codes and QR codes.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from sitroom import audit
from sitroom.bootstrap import Services
from sitroom.conduct.run import Rejected
from sitroom.package.examples import example_names, example_path
from sitroom.package.load import MAX_FILE_BYTES, decode, load_package, load_text
from sitroom.package.model import Package
from sitroom.package.msel import import_msel
from sitroom.package.problems import Problem
from sitroom.package.sourcemap import SourceMap
from sitroom.package.validate import check_package
from sitroom.reports.documents import DocumentKind, build_view, render_document
from sitroom.services.identity import LANGUAGES
from sitroom.web.deps import Viewer
from sitroom.web.forms import FormState, posted, text
from sitroom.web.limits import accepts_upload
from sitroom.web.pages import design_invitations
from sitroom.web.pages.design_access import Planner, Svc, planner, render
from sitroom.web.pages.home import PageError
from sitroom.web.render import N_, ui_language
from sitroom.web.uploads import UploadInfo, Uploads
from sitroom.web.views.branchmap import build_branch_map

router = APIRouter(include_in_schema=False)

PACKAGE_SUFFIXES = (".yaml", ".yml")
MSEL_SUFFIXES = (".xlsx", ".csv")


@dataclass(frozen=True)
class Example:
    """A bundled example as the design page lists it."""

    name: str
    title: dict[str, str]
    injects: int
    languages: tuple[str, ...]


@functools.cache
def _examples() -> tuple[Example, ...]:
    found = []
    for name in example_names():
        loaded = load_package(example_path(name))
        if loaded.package is not None:
            exercise = loaded.package.exercise
            found.append(
                Example(name, exercise.title, len(loaded.package.injects()), exercise.languages)
            )
    return tuple(found)


def _uploads(svc: Services) -> Uploads:
    return Uploads(svc.settings.data_dir / "uploads")


# --- the design home ----------------------------------------------------------------------


@router.get("/design")
async def design_home(request: Request, who: Planner, svc: Svc) -> Response:
    """Upload forms, uploaded packages, bundled examples and the runs."""
    return await _home(request, who, svc)


async def _home(
    request: Request,
    who: Viewer,
    svc: Services,
    status_code: int = 200,
    create: FormState | None = None,
) -> Response:
    uploads = await run_in_threadpool(_uploads(svc).list)
    runs = await run_in_threadpool(svc.engine.runs)
    return render(
        request,
        who,
        "design/home.html",
        status_code,
        uploads=uploads,
        examples=await run_in_threadpool(_examples),
        runs=runs,
        create=create or FormState(),
    )


# --- uploading ----------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What became of an uploaded file: the problems, and the package when there is one."""

    file_name: str
    kind: str
    problems: list[Problem] = field(default_factory=list)
    package: Package | None = None
    info: UploadInfo | None = None
    lines: list[str] = field(default_factory=list)
    msel: dict[str, Any] | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    def line(self, number: int | None) -> str:
        """The uploaded YAML line ``number`` (1-based), for showing next to its problem."""
        if number is None or not 0 < number <= len(self.lines):
            return ""
        return self.lines[number - 1][:300]


def _read_package(raw: bytes, name: str) -> UploadResult:
    result = UploadResult(name, "package")
    decoded, problems = decode(raw, name)
    result.problems.extend(problems)
    if decoded is None:
        return result
    result.lines = decoded.splitlines()
    loaded = load_text(decoded, name)
    result.problems.extend(loaded.problems)
    if loaded.package is not None:
        result.problems.extend(
            check_package(loaded.package, loaded.source, require_attachments=False)
        )
        result.package = loaded.package
    return result


def _read_msel(raw: bytes, name: str, suffix: str) -> UploadResult:
    result = UploadResult(name, "msel")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"msel{suffix}"
        path.write_bytes(raw)
        report = import_msel(path, title=Path(name).stem or None)
    # The file was read from a temporary name: show the name the planner knows.
    result.problems = [_renamed(p, str(path), name) for p in report.problems]
    result.msel = {
        "sheet": report.sheet,
        "header_row": report.header_row,
        "columns": report.columns,
        "unmapped": report.unmapped,
        "kept": report.kept,
        "imported": report.imported,
        "skipped": report.skipped,
        "notes": report.notes,
        "year": report.year,
    }
    if report.package is not None:
        result.problems.extend(
            check_package(report.package, SourceMap(name), require_attachments=False)
        )
        result.package = report.package
    return result


def _renamed(problem: Problem, temp: str, name: str) -> Problem:
    from dataclasses import replace

    message = problem.message.replace(temp, name)
    return replace(problem, file=name if problem.file == temp else problem.file, message=message)


async def _read_upload(upload: UploadFile) -> tuple[bytes | None, str]:
    raw = await upload.read(MAX_FILE_BYTES + 1)
    name = Path(upload.filename or "upload").name[:200] or "upload"
    return (None if len(raw) > MAX_FILE_BYTES else raw), name


@router.post("/design/upload")
@accepts_upload
async def upload(request: Request, svc: Svc) -> Response:
    """Read an uploaded package or MSEL; show what was read, what was left out and why."""
    who = await planner(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES + 1_000_000:
        # Refuse before the body is read and spooled to disk.
        limit = MAX_FILE_BYTES // 1_000_000
        return await _upload_page(
            request, who, None, N_("The file is larger than %(limit)s MB."), 413, limit=limit
        )
    who, form = await posted(request)
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await _upload_page(request, who, None, N_("Choose a file to upload."), 422)
        raw, name = await _read_upload(upload)
    finally:
        await form.close()
    suffix = Path(name).suffix.lower()
    if raw is None:
        limit = MAX_FILE_BYTES // 1_000_000
        return await _upload_page(
            request, who, None, N_("The file is larger than %(limit)s MB."), 413, limit=limit
        )
    if suffix in PACKAGE_SUFFIXES:
        result = await run_in_threadpool(_read_package, raw, name)
    elif suffix in MSEL_SUFFIXES:
        result = await run_in_threadpool(_read_msel, raw, name, suffix)
    else:
        return await _upload_page(
            request,
            who,
            None,
            N_("Upload a package (.yaml, .yml) or an MSEL spreadsheet (.xlsx, .csv)."),
            415,
        )
    if result.package is not None and not result.errors:
        warnings = len(result.problems)
        result.info = await run_in_threadpool(
            _uploads(svc).save, result.package, name, result.kind, who.principal.id, warnings
        )
    audit.record(
        "msel-imported" if result.kind == "msel" else "package-uploaded",
        actor=who,
        outcome="success" if result.info else "failure",
        file=name[:200],
        package_hash=result.info.digest if result.info else None,
        errors=len(result.errors),
    )
    return await _upload_page(request, who, result, None, 200 if result.info else 422)


async def _upload_page(
    request: Request,
    who: Viewer,
    result: UploadResult | None,
    error: str | None,
    status_code: int,
    **error_args: Any,
) -> Response:
    return render(
        request,
        who,
        "design/upload.html",
        status_code,
        result=result,
        error=error,
        error_args=error_args,
        create=FormState(),
    )


# --- browsing a package -------------------------------------------------------------------


async def _package(svc: Services, source: str, name: str) -> tuple[Package, str]:
    """A package to browse: an upload by hash, or a bundled example by name."""
    if source == "packages":
        found = await run_in_threadpool(_uploads(svc).get, name)
        if found is None:
            raise PageError(404, N_("There is no such package here."))
        return found[1], found[0].file_name
    if source == "examples" and name in example_names():
        loaded = await run_in_threadpool(load_package, example_path(name))
        if loaded.package is not None:
            return loaded.package, name
    raise PageError(404, N_("There is no such package here."))


@router.get("/design/packages/{name}")
async def browse_upload(name: str, request: Request, who: Planner, svc: Svc) -> Response:
    """An uploaded package as the Controller/Evaluator Handbook lays it out."""
    return await _browse(request, who, svc, "packages", name)


@router.get("/design/examples/{name}")
async def browse_example(name: str, request: Request, who: Planner, svc: Svc) -> Response:
    """A bundled example as the Controller/Evaluator Handbook lays it out."""
    return await _browse(request, who, svc, "examples", name)


async def _browse(request: Request, who: Viewer, svc: Services, source: str, name: str) -> Response:
    from sitroom.web.pages.series import retest_package_for

    package, file_name = await _package(svc, source, name)
    lang = ui_language(request, who.language)
    view = await run_in_threadpool(lambda: build_view(package, DocumentKind.HANDBOOK, lang=lang))
    retest = await run_in_threadpool(retest_package_for, svc.series, package, who)
    return render(
        request,
        who,
        "design/package.html",
        doc=view,
        package=package,
        source=source,
        name=name,
        file_name=file_name,
        create=FormState(),
        retest=retest,
        branch_map=build_branch_map(package, lang),
    )


@router.get("/design/retest/{source}/{name}")
async def retest_yaml(source: str, name: str, who: Planner, svc: Svc) -> Response:
    """The package as YAML with one re-test objective per open corrective action of the
    series it names, for the planner to take into the next edition's package."""
    from sitroom.package.dump import dump_yaml

    package, _ = await _package(svc, source, name)
    named = package.exercise.series
    if named is None:
        raise PageError(404, N_("This package names no series."))
    try:
        updated = await run_in_threadpool(
            svc.series.retest_objectives, named.id, package, who.principal
        )
    except Rejected as error:
        raise PageError(error.status, N_("There is no such series here.")) from None
    body = await run_in_threadpool(dump_yaml, updated)
    file_name = f"{package.exercise.id}-retest.yaml"
    return Response(
        body,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{file_name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.get("/design/packages/{name}/{kind}")
async def upload_document(
    name: str, kind: str, request: Request, who: Planner, svc: Svc
) -> Response:
    """The SitMan or the C/E Handbook of an upload, as a standalone page to print."""
    return await _document(request, who, svc, "packages", name, kind)


@router.get("/design/examples/{name}/{kind}")
async def example_document(
    name: str, kind: str, request: Request, who: Planner, svc: Svc
) -> Response:
    """The SitMan or the C/E Handbook of a bundled example, as a standalone page to print."""
    return await _document(request, who, svc, "examples", name, kind)


async def _document(
    request: Request, who: Viewer, svc: Services, source: str, name: str, kind: str
) -> Response:
    if kind not in (DocumentKind.SITMAN, DocumentKind.HANDBOOK):
        raise PageError(404, N_("There is no such document."))
    package, _ = await _package(svc, source, name)
    lang = request.query_params.get("lang") or ui_language(request, who.language)
    if lang not in package.exercise.languages and lang not in LANGUAGES:
        lang = package.exercise.languages[0]
    html = await run_in_threadpool(lambda: render_document(package, DocumentKind(kind), lang=lang))
    response = HTMLResponse(html)
    # The document carries its own styles inline and no script at all.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# --- making a run -------------------------------------------------------------------------


@router.post("/design/runs")
async def create_run(request: Request, svc: Svc) -> Response:
    """Make a run of an uploaded package or a bundled example."""
    await planner(request)
    who, form = await posted(request)
    digest = text(form, "package", 80)
    example = text(form, "example", 80)
    run_id = text(form, "run_id", 80).strip()
    values = {"package": digest, "example": example, "run_id": run_id}
    package: Package | None = None
    error: tuple[str, str] | None = None
    if run_id and not _valid_run_id(run_id):
        error = (
            "run_id",
            N_(
                "A run id uses letters, digits, '-', '_' and '.', and starts with a letter "
                "or digit."
            ),
        )
    elif digest:
        found = await run_in_threadpool(_uploads(svc).get, digest)
        package = found[1] if found else None
    elif example in example_names():
        loaded = await run_in_threadpool(load_package, example_path(example))
        package = loaded.package if loaded.ok else None
    if error is None and package is None:
        error = ("package", N_("Choose an uploaded package or a bundled example."))
    if (
        error is None
        and run_id
        and await run_in_threadpool(svc.engine.recorder.get_run, run_id) is not None
    ):
        error = ("run_id", N_("A run with this id exists already; choose another."))
    if error is not None or package is None:
        field_name, message = error or ("package", "")
        state = FormState(values=values, error=message, error_field=field_name)
        return await _home(request, who, svc, status_code=422, create=state)
    record = await run_in_threadpool(svc.engine.create_run, package, run_id or None)
    return RedirectResponse(f"/design/runs/{record.id}/invitations?created=1", status_code=303)


def _valid_run_id(run_id: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}", run_id) is not None


# Inviting people into a run (``design_invitations``) is served by this module's router too.
router.include_router(design_invitations.router)
