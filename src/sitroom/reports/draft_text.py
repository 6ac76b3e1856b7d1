"""Drafted findings as sentences a reader understands, in the report's languages.

``evaluation.findings`` drafts a finding as facts (who was observed, on which inject, against
which critical task, the rating, the evaluator's words, the event). Here they become a title
and an analysis in Markdown, one bullet per piece of evidence, with team and party names,
task texts and clause titles from the package instead of ids, and the event number ``(#14)``
that leads to the evidence table. The words are the ``reports`` domain's, so the drafts read
in English or Korean like the rest of the AAR.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sitroom.evaluation.findings import (
    CAPABILITY_RATING,
    FEEDBACK,
    HOT_WASH,
    MAX_LINES,
    OBSERVATION,
    STRENGTH,
    TARGET_RATING,
    Draft,
    Point,
)
from sitroom.package.model import Package, text_in
from sitroom.reports.i18n import N_, RATING_NAMES, report_translations
from sitroom.reports.model import Text

TITLE_LIMIT = 100
"""Characters of a task, target or inject text quoted in a drafted title."""

_WHAT = {
    ("task", True): N_("the critical task “%(text)s” was performed well"),
    ("task", False): N_("the critical task “%(text)s” met challenges"),
    ("target", True): N_("the capability target “%(text)s” was met"),
    ("target", False): N_("the capability target “%(text)s” was not fully met"),
    ("inject", True): N_("inject %(number)s “%(text)s” was handled well"),
    ("inject", False): N_("inject %(number)s “%(text)s” met challenges"),
    (None, True): N_("performed well"),
    (None, False): N_("performed with challenges"),
}
"""What a drafted title says, by what the evidence is mostly about and whether it is good."""

_OBSERVED = {
    (True, True): N_(
        "%(who)s, on inject %(inject)s, against %(against)s — rated %(letter)s (%(rating)s): "
        "“%(text)s” (#%(seq)s)"
    ),
    (True, False): N_(
        "%(who)s, on inject %(inject)s — rated %(letter)s (%(rating)s): “%(text)s” (#%(seq)s)"
    ),
    (False, True): N_(
        "%(who)s, against %(against)s — rated %(letter)s (%(rating)s): “%(text)s” (#%(seq)s)"
    ),
    (False, False): N_("%(who)s — rated %(letter)s (%(rating)s): “%(text)s” (#%(seq)s)"),
}
"""An observation as a sentence, by whether it names an inject and a task or objective."""


def drafting_languages(languages: Sequence[str]) -> tuple[str, ...]:
    """The languages drafts are written in: the exercise's. Not the catalogs installed, so
    that the report's hash depends on the package and the log, never on the installation."""
    return tuple(dict.fromkeys(languages)) or ("en",)


class _Writer:
    """The sentences of drafts in one language, with the package's names."""

    def __init__(
        self, package: Package, lang: str, capability_name: Callable[[str], Text | None]
    ) -> None:
        self.package = package
        self.lang = lang
        self.languages = tuple(package.exercise.languages)
        self.gettext = report_translations(lang).gettext
        self.capability_name = capability_name

    def _(self, message: str, **values: object) -> str:
        translated = self.gettext(message)
        return translated % values if values else translated

    def pick(self, text: Text | None) -> str:
        return text_in(dict(text) if text else None, self.lang, self.languages)

    # -- names -------------------------------------------------------------------------------

    def team(self, team_id: str) -> str:
        team = self.package.team(team_id)
        return self.pick(team.name) if team else team_id

    def who(self, point: Point) -> str:
        """The team and its party by name ('the players' when the evidence names neither)."""
        party = self.package.party(point.party) if point.party else None
        party_name = self.pick(party.name) if party else ""
        if point.team:
            team = self.team(point.team)
            return self._("%(team)s (%(party)s)", team=team, party=party_name) if party else team
        return party_name or self._("the players")

    def teams(self, ids: Sequence[str]) -> str:
        names = [self.team(t) for t in ids]
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return self._("%(first)s and %(second)s", first=names[0], second=names[1])
        return self._("%(first)s and %(n)d other teams", first=names[0], n=len(names) - 1)

    def clause(self, ref: str) -> str:
        """A clause as its reader knows it: 'ACG 1.1 “Prompt notification”'."""
        reference_id, _, clause_id = ref.partition("/")
        reference = next((r for r in self.package.references if r.id == reference_id), None)
        clause = self.package.clause(ref)
        if reference is None or clause is None:
            return ref
        name = reference.short_title or self.pick(reference.title)
        title = self.pick(clause.title) if clause.title else ""
        return f"{name} {clause_id} “{title}”" if title else f"{name} {clause_id}"

    def task(self, task_id: str) -> str:
        task = next((t for t in self.package.tasks() if t.id == task_id), None)
        if task is None:
            return task_id
        text = _short(self.pick(task.text), TITLE_LIMIT)
        if task.source:
            return self._(
                "the critical task “%(task)s” (%(clause)s)",
                task=text,
                clause=self.clause(task.source),
            )
        return self._("the critical task “%(task)s”", task=text)

    def against(self, point: Point) -> str:
        if point.task:
            return self.task(point.task)
        if point.objective:
            numbers = {o.id: n for n, o in enumerate(self.package.objectives, start=1)}
            if point.objective in numbers:
                return self._("objective %(number)d", number=numbers[point.objective])
        return ""

    def inject(self, number: str) -> str:
        inject = self.package.inject(number)
        title = _short(self.pick(inject.title), TITLE_LIMIT) if inject else ""
        return f"{number} “{title}”" if title else number

    # -- lines and titles --------------------------------------------------------------------

    def rating(self, letter: str | None) -> dict[str, str]:
        name = RATING_NAMES.get(letter or "")
        return {"letter": letter or "—", "rating": self.gettext(name) if name else ""}

    def line(self, point: Point) -> str:
        if point.source == OBSERVATION:
            against = self.against(point)
            message = _OBSERVED[(bool(point.inject), bool(against))]
            return self._(
                message,
                who=self.who(point),
                inject=self.inject(point.inject) if point.inject else "",
                against=against,
                text=point.text,
                seq=point.seq,
                **self.rating(point.rating),
            )
        if point.source == TARGET_RATING:
            target = next((t for t in self.package.targets() if t.id == point.subject), None)
            return self._(
                "Capability target “%(target)s” — rated %(letter)s (%(rating)s) by an evaluator: "
                "“%(text)s” (#%(seq)s)",
                target=_short(self.pick(target.text), TITLE_LIMIT) if target else point.subject,
                text=point.text,
                seq=point.seq,
                **self.rating(point.rating),
            )
        if point.source == CAPABILITY_RATING:
            numbers = {o.id: n for n, o in enumerate(self.package.objectives, start=1)}
            capability = self.pick(self.capability_name(point.subject or "")) or point.subject
            return self._(
                "%(capability)s under objective %(number)s — rated %(letter)s (%(rating)s) by an "
                "evaluator: “%(text)s” (#%(seq)s)",
                capability=capability,
                number=numbers.get(point.objective or "", point.objective),
                text=point.text,
                seq=point.seq,
                **self.rating(point.rating),
            )
        if point.source == HOT_WASH and (point.team or point.party):
            return self._(
                "Said in the hot wash by %(who)s: “%(text)s” (#%(seq)s)",
                who=self.who(point),
                text=point.text,
                seq=point.seq,
            )
        if point.source == HOT_WASH:
            return self._(
                "Said in the hot wash: “%(text)s” (#%(seq)s)", text=point.text, seq=point.seq
            )
        if point.source == FEEDBACK:
            return self._(
                "Written on a participant feedback form: “%(text)s” (#%(seq)s)",
                text=point.text,
                seq=point.seq,
            )
        return f"“{point.text}” (#{point.seq})"

    def title(self, draft: Draft) -> str:
        good = draft.kind == STRENGTH
        if draft.capability is None:  # hot wash and feedback: the first thing said
            text = draft.points[0].text if draft.points else ""
            action = draft.corrective_actions[0]["action"] if draft.corrective_actions else ""
            return _first_sentence(text or action)
        focus_kind, focus = draft.focus or (None, "")
        values: dict[str, object] = {}
        if focus_kind == "task":
            task = next((t for t in self.package.tasks() if t.id == focus), None)
            values["text"] = _first_sentence(self.pick(task.text)) if task else focus
        elif focus_kind == "target":
            target = next((t for t in self.package.targets() if t.id == focus), None)
            values["text"] = _first_sentence(self.pick(target.text)) if target else focus
        elif focus_kind == "inject":
            inject = self.package.inject(focus)
            values["number"] = focus
            values["text"] = _first_sentence(self.pick(inject.title)) if inject else ""
        what = self._(_WHAT[(focus_kind, good)], **values)
        if draft.teams:
            lead = self.teams(draft.teams)
        else:
            lead = self.pick(self.capability_name(draft.capability)) or draft.capability
        return self._("%(lead)s: %(what)s", lead=lead, what=what)

    def analysis(self, draft: Draft) -> str:
        lines = [f"- {_markdown_safe(self.line(p))}" for p in draft.points[:MAX_LINES]]
        if len(draft.points) > MAX_LINES:
            more = len(draft.points) - MAX_LINES
            lines.append("- " + self._("… and %(n)d more (see the evidence)", n=more))
        return "\n".join(lines)


def _short(text: str, limit: int) -> str:
    """``text`` on one line, without a closing full stop (it is quoted inside a sentence),
    cut at a word when longer than ``limit``."""
    line = " ".join(text.split())
    line = line[:-1] if line.endswith(".") and not line.endswith("..") else line
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] if " " in line[: limit - 1] else line[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def _first_sentence(text: str, limit: int = TITLE_LIMIT) -> str:
    """The first sentence of ``text`` without its full stop, on one line, shortened."""
    line = " ".join(text.split())
    for stop in (". ", "? ", "! ", "다. "):
        head, sep, _ = line.partition(stop)
        if sep:
            line = head + stop.strip()
            break
    return _short(line, limit)


def _markdown_safe(text: str) -> str:
    """A line of words as Markdown that shows them as written: characters Markdown would
    read as formatting (``*``, ``_``, a leading ``#``) are escaped."""
    escaped = "".join(f"\\{c}" if c in "\\`*_[]<>" else c for c in text)
    return escaped.replace("\n", " ")


def word_draft(
    draft: Draft,
    package: Package,
    capability_name: Callable[[str], Text | None],
    languages: Sequence[str],
) -> dict[str, tuple[str, str]]:
    """The draft's (title, analysis) in each of ``languages``."""
    worded = {}
    for lang in languages:
        writer = _Writer(package, lang, capability_name)
        worded[lang] = (writer.title(draft), writer.analysis(draft))
    return worded
