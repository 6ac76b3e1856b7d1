"""Matrix-game turns on an in-memory log: the handlers' rules, the fold, the gate (secret
arguments are control's until revealed), and rolls a replay of the log reproduces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sitroom.conduct import commands as cmd
from sitroom.conduct import gamecommands as gcmd
from sitroom.conduct import gameevents as gev
from sitroom.conduct.events import from_wire
from sitroom.conduct.game import roll_from_seed, roll_seed
from sitroom.conduct.gamegate import visible_arguments, visible_outcomes
from sitroom.conduct.principal import Principal, Role
from sitroom.conduct.run import Rejected
from sitroom.conduct.state import Recorded, fold
from sitroom.conduct.visibility import view_event
from sitroom.package.examples import example_path
from sitroom.package.load import load_package
from sitroom.package.model import Package
from sitroom.services.runs import Engine
from sitroom.storage.memory import MemoryRecorder

FAC = Principal("account:fac", Role.FACILITATOR, "Umpire")
EVAL = Principal("invite:ev", Role.EVALUATOR, "Evaluator")
ALD = Principal("invite:ald1", Role.PLAYER, "Ald", team="ald-cabinet", party="ald")
BRN = Principal("invite:brn1", Role.PLAYER, "Brn", team="brn-council", party="brn")
COR = Principal("invite:cor1", Role.PLAYER, "Cor", team="cor-ministry", party="cor")
DISPLAY = Principal("display:1", Role.DISPLAY, "Room")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2027, 5, 12, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(scope="module")
def package() -> Package:
    loaded = load_package(example_path("strait-matrix")).package
    assert loaded is not None
    return loaded


@pytest.fixture
def engine() -> Engine:
    clock = Clock()
    return Engine(MemoryRecorder(clock=clock), clock=clock)


def started(engine: Engine, package: Package, run_id: str = "game") -> str:
    run_id = engine.create_run(package, run_id=run_id).id
    engine.handle(run_id, cmd.StartRun(), FAC)
    engine.handle(run_id, gcmd.OpenTurn(1), FAC)
    return run_id


def argue(engine: Engine, run_id: str, who: Principal, **kw: object) -> str:
    fields: dict[str, object] = {"action": "Act", "result": "Result", "reasons": "Because"}
    fields.update(kw)
    engine.handle(run_id, gcmd.SubmitArgument(**fields), who)  # type: ignore[arg-type]
    return list(engine.state(run_id).game.arguments)[-1]


def test_the_bundled_matrix_game_validates_without_warnings() -> None:
    loaded = load_package(example_path("strait-matrix"))
    assert loaded.problems == []
    assert loaded.package is not None
    game = loaded.package.game
    assert game is not None
    assert [a.id for a in game.actors] == ["aldoria", "brenland", "corvania"]
    assert [t.number for t in game.turns] == [1, 2, 3]


def test_an_argument_goes_from_statement_to_a_released_outcome(
    engine: Engine, package: Package
) -> None:
    run_id = started(engine, package)
    arg = argue(engine, run_id, ALD, action="Call for talks", result="Talks open")
    engine.handle(run_id, gcmd.CounterArgue(arg, "Corvania will not come"), COR)
    engine.handle(run_id, gcmd.GiveEstimate(arg, 60), BRN)
    engine.handle(run_id, gcmd.GiveEstimate(arg, 40), COR)
    engine.handle(run_id, gcmd.GiveEstimate(arg, 70), FAC)
    engine.handle(run_id, gcmd.Adjudicate(arg, "estimative"), FAC)
    engine.handle(run_id, gcmd.ReleaseOutcome(1, "Talks open in Velmar.", argument=arg), FAC)
    game = engine.state(run_id).game
    argument = game.arguments[arg]
    assert argument.actor == "aldoria" and argument.turn == 1
    assert [c.actor for c in argument.counters] == ["corvania"]
    adjudication = argument.adjudication
    assert adjudication is not None and adjudication.method == "estimative"
    assert adjudication.probability == 60  # the median of 40, 60, 70
    assert adjudication.seed == roll_seed(run_id, 1, arg)
    assert adjudication.roll == roll_from_seed(adjudication.seed)
    assert adjudication.success is (adjudication.roll <= 60)
    assert [o.text for o in game.outcomes] == ["Talks open in Velmar."]
    types = [e.type for e in engine.read(run_id, after=0)]
    assert types[-7:] == [
        "game-argument-submitted",
        "game-counter-argued",
        "game-estimate-given",
        "game-estimate-given",
        "game-estimate-given",
        "game-argument-adjudicated",
        "game-outcome-released",
    ]


def test_a_replay_of_the_log_reproduces_every_roll(engine: Engine, package: Package) -> None:
    run_id = started(engine, package)
    args = [argue(engine, run_id, who) for who in (ALD, BRN, COR)]
    for arg in args:
        engine.handle(run_id, gcmd.GiveEstimate(arg, 50), FAC)
        engine.handle(run_id, gcmd.GiveEstimate(arg, 55), ALD if arg != args[0] else BRN)
        engine.handle(run_id, gcmd.Adjudicate(arg, "estimative"), FAC)
    stored = engine.read(run_id, after=0)
    log = [Recorded(s.seq, s.recorded_at, from_wire(s.type, s.payload), s.actor) for s in stored]
    once = fold(run_id, package, log).game
    twice = fold(run_id, package, log).game
    rolls = [(a.adjudication.seed, a.adjudication.roll) for a in once.arguments.values()]  # type: ignore[union-attr]
    assert rolls == [
        (a.adjudication.seed, a.adjudication.roll)  # type: ignore[union-attr]
        for a in twice.arguments.values()
    ]
    for seed, roll in rolls:
        assert seed is not None and roll == roll_from_seed(seed)
    assert len({seed for seed, _ in rolls}) == 3  # each argument its own seed
    # the seed is the run's, the turn's and the argument's: deciding again gives the same roll
    assert roll_seed(run_id, 1, args[0]) == rolls[0][0]


def test_the_roll_is_spread_over_one_to_a_hundred() -> None:
    rolls = [roll_from_seed(roll_seed("r", 1, str(i))) for i in range(2000)]
    assert min(rolls) == 1 and max(rolls) == 100
    assert 30 < sum(r <= 50 for r in rolls) / 20 < 70


def test_estimative_adjudication_waits_for_enough_estimates(
    engine: Engine, package: Package
) -> None:
    run_id = started(engine, package)
    arg = argue(engine, run_id, ALD)
    engine.handle(run_id, gcmd.GiveEstimate(arg, 50), BRN)
    with pytest.raises(Rejected, match="needs 2") as refused:
        engine.handle(run_id, gcmd.Adjudicate(arg, "estimative"), FAC)
    assert refused.value.field == "estimates"
    engine.handle(run_id, gcmd.GiveEstimate(arg, 30), BRN)  # a second word replaces the first
    with pytest.raises(Rejected, match="1 estimate"):
        engine.handle(run_id, gcmd.Adjudicate(arg, "estimative"), FAC)


def test_rules_of_who_may_do_what(engine: Engine, package: Package) -> None:
    run_id = started(engine, package)
    with pytest.raises(Rejected, match="only the facilitator"):
        engine.handle(run_id, gcmd.OpenTurn(2), ALD)
    arg = argue(engine, run_id, ALD)
    with pytest.raises(Rejected, match="stated its argument"):
        argue(engine, run_id, ALD)
    with pytest.raises(Rejected, match="its own argument"):
        engine.handle(run_id, gcmd.CounterArgue(arg, "no"), ALD)
    with pytest.raises(Rejected, match="only the facilitator"):
        engine.handle(run_id, gcmd.Adjudicate(arg, "auto-success"), BRN)
    with pytest.raises(Rejected, match="unknown method 'dice'") as refused:
        engine.handle(run_id, gcmd.Adjudicate(arg, "dice"), FAC)
    assert refused.value.field == "method"
    with pytest.raises(Rejected, match="whether the argument succeeds"):
        engine.handle(run_id, gcmd.Adjudicate(arg, "umpire", ruling="Fails"), FAC)
    with pytest.raises(Rejected, match="unknown actor 'atlantis'"):
        argue(engine, run_id, BRN, audience=("atlantis",))
    with pytest.raises(Rejected, match="no turn 9"):
        engine.handle(run_id, gcmd.OpenTurn(9), FAC)
    with pytest.raises(Rejected, match=r"probability|percent"):
        engine.handle(run_id, gcmd.GiveEstimate(arg, 101), BRN)
    engine.handle(run_id, gcmd.Adjudicate(arg, "umpire", success=False, ruling="Fails"), FAC)
    with pytest.raises(Rejected, match="adjudicated already"):
        engine.handle(run_id, gcmd.Adjudicate(arg, "auto-success"), FAC)
    engine.handle(run_id, gcmd.OpenTurn(2), FAC)  # closes turn 1 on the way
    game = engine.state(run_id).game
    assert game.current == 2 and game.turns[1].closed_seq is not None
    assert engine.state(run_id).module == "m1"  # opened with turn 1, the turns' module
    opened = [e.type for e in engine.read(run_id) if e.type == "module-opened"]
    assert opened == ["module-opened"]  # once: turn 2 is played in the module already open
    with pytest.raises(Rejected, match="opened before"):
        engine.handle(run_id, gcmd.OpenTurn(1), FAC)


def test_a_secret_argument_is_control_s_and_its_team_s_until_revealed(
    engine: Engine, package: Package
) -> None:
    run_id = started(engine, package)
    secret = argue(engine, run_id, COR, action="SECRET-ACTION-MARK", secret=True)
    with pytest.raises(Rejected, match="no argument"):
        engine.handle(run_id, gcmd.CounterArgue(secret, "no"), ALD)
    with pytest.raises(Rejected, match="no argument"):
        engine.handle(run_id, gcmd.GiveEstimate(secret, 10), BRN)
    engine.handle(run_id, gcmd.CounterArgue(secret, "UMPIRE-DOUBT-MARK"), FAC)
    engine.handle(run_id, gcmd.Adjudicate(secret, "auto-success"), FAC)
    state = engine.state(run_id)
    for who, sees in ((FAC, True), (EVAL, True), (COR, True), (ALD, False), (BRN, False)):
        assert bool(visible_arguments(who, package, state.game)) is sees, who
    assert visible_arguments(DISPLAY, package, state.game) == []

    def seen_by(who: Principal) -> str:
        shown = []
        for stored in engine.read(run_id, after=0):
            data = view_event(who, package, from_wire(stored.type, stored.payload))
            if data is not None:
                shown.append(repr(data))
        return "\n".join(shown)

    for who in (ALD, BRN, DISPLAY):
        text = seen_by(who)
        assert "SECRET-ACTION-MARK" not in text and "UMPIRE-DOUBT-MARK" not in text
    assert "SECRET-ACTION-MARK" in seen_by(COR)
    engine.handle(run_id, gcmd.RevealArgument(secret), FAC)
    state = engine.state(run_id)
    assert [a.id for a in visible_arguments(ALD, package, state.game)] == [secret]
    assert "SECRET-ACTION-MARK" in seen_by(ALD)
    with pytest.raises(Rejected, match="not secret, or was revealed"):
        engine.handle(run_id, gcmd.RevealArgument(secret), FAC)


def test_an_argument_and_its_outcome_reach_only_their_audience(
    engine: Engine, package: Package
) -> None:
    run_id = started(engine, package)
    arg = argue(engine, run_id, ALD, audience=("brenland",))
    engine.handle(run_id, gcmd.Adjudicate(arg, "auto-success"), FAC)
    engine.handle(run_id, gcmd.ReleaseOutcome(1, "Brenland agrees quietly.", argument=arg), FAC)
    engine.handle(run_id, gcmd.ReleaseOutcome(1, "Everyone hears of it.", audience=()), FAC)
    state = engine.state(run_id)
    assert state.game.arguments[arg].audience == ("aldoria", "brenland")
    assert [o.text for o in visible_outcomes(BRN, package, state.game)] == [
        "Brenland agrees quietly.",
        "Everyone hears of it.",
    ]
    assert [o.text for o in visible_outcomes(COR, package, state.game)] == ["Everyone hears of it."]
    assert visible_arguments(COR, package, state.game) == []
    assert [o.text for o in visible_outcomes(DISPLAY, package, state.game)] == [
        "Everyone hears of it."
    ]


def test_estimates_are_their_author_s_and_control_s(engine: Engine, package: Package) -> None:
    run_id = started(engine, package)
    arg = argue(engine, run_id, ALD)
    engine.handle(run_id, gcmd.GiveEstimate(arg, 35), BRN)
    event = gev.GameEstimateGiven(argument=arg, turn=1, probability=35, author=BRN.id)
    assert view_event(BRN, package, event) is not None
    assert view_event(FAC, package, event) is not None
    assert view_event(ALD, package, event) is None
    assert view_event(COR, package, event) is None


def test_a_package_without_a_game_refuses_turns(engine: Engine) -> None:
    from tests.support.packages import branching

    run_id = engine.create_run(branching(), run_id="nogame").id
    engine.handle(run_id, cmd.StartRun(), FAC)
    with pytest.raises(Rejected, match="no matrix-game turns"):
        engine.handle(run_id, gcmd.OpenTurn(1), FAC)


def test_the_complete_aar_tells_each_turn_with_its_roll_and_seed(
    engine: Engine, package: Package
) -> None:
    from sitroom.reports.html import render_html
    from sitroom.reports.model import model_data

    run_id = started(engine, package)
    arg = argue(engine, run_id, ALD, action="Call for talks at the forum")
    engine.handle(run_id, gcmd.CounterArgue(arg, "Corvania stays away"), COR)
    for who, p in ((BRN, 60), (COR, 20)):
        engine.handle(run_id, gcmd.GiveEstimate(arg, p), who)
    engine.handle(run_id, gcmd.Adjudicate(arg, "estimative"), FAC)
    secret = argue(engine, run_id, COR, action="ZZ-SECRET-IN-AAR", secret=True)
    engine.handle(run_id, gcmd.Adjudicate(secret, "umpire", success=False, ruling="No"), FAC)
    engine.handle(run_id, gcmd.ReleaseOutcome(1, "Talks are announced.", argument=arg), FAC)
    report = engine.report(run_id)
    [turn, *later] = report.model.game_turns
    assert [t.opened_at for t in later] == [None, None]
    row = next(a for a in turn.arguments if a.id == arg)
    j = engine.state(run_id).game.arguments[arg].adjudication
    assert j is not None
    assert (row.method, row.probability, row.seed, row.roll) == ("estimative", 40, j.seed, j.roll)
    assert row.counters == ("corvania: Corvania stays away",)
    assert turn.outcomes == ("Talks are announced.",)
    html = render_html(report, lang="en")
    assert "Matrix-game turns" in html and str(j.seed) in html
    assert "secret, never revealed" in html and "ZZ-SECRET-IN-AAR" in html
    for party in ("ald", "brn", "cor"):
        party_report = engine.report(run_id, (party,))
        assert "game_turns" not in model_data(party_report.model)
        assert "ZZ-SECRET-IN-AAR" not in render_html(party_report, lang="en")
    assert "매트릭스 게임 턴" in render_html(report, lang="ko")
