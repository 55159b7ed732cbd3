"""Each finding category and each edge of the rules, through the public API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import AGREEMENT_YAML, Judge, event, finding


def test_violation_by_party_against_party(judge: Judge) -> None:
    f = finding(judge([event("a")]), "a")
    assert f["category"] == "violation"
    assert f["probability"] == 1.0
    assert "perpetrator gov is a party" in f["reasons"]
    assert "window 2016-04-29T21:00Z – open-ended" in f["reasons"]


def test_member_of_a_party_is_bound(judge: Judge) -> None:
    f = finding(judge([event("a", perpetrators=["4th Division"])]), "a")
    assert f["category"] == "violation"
    assert "member of gov" in f["reasons"]


def test_attack_on_excluded_is_permitted(judge: Judge) -> None:
    f = finding(judge([event("a", targets=["Jabhat Fateh al-Sham"])]), "a")
    assert f["category"] == "permitted"
    assert "target nusra is excluded" in f["reasons"]


def test_attack_by_excluded_is_not_bound(judge: Judge) -> None:
    f = finding(judge([event("a", perpetrators=["IS"], targets=["gov"])]), "a")
    assert f["category"] == "not_bound"
    assert "perpetrator is is excluded" in f["reasons"]


def test_outside_actor_is_not_bound(judge: Judge) -> None:
    f = finding(judge([event("a", perpetrators=["Military Forces of Turkey (2016-)"])]), "a")
    assert f["category"] == "not_bound"
    assert "turkey is not a party" in f["reasons"]


def test_mixed_target_is_contested(judge: Judge) -> None:
    f = finding(judge([event("a", targets=["opposition", "nusra"])]), "a")
    assert f["category"] == "contested"
    assert "mixes excluded nusra with opposition" in f["reasons"]


def test_competing_attributions_are_contested(judge: Judge) -> None:
    incident = event(
        "a",
        perpetrators=[
            {"actor": "nusra", "claimed_by": "russia"},
            {"actor": "gov", "claimed_by": "usa"},
        ],
        targets=["civilians"],
    )
    f = finding(judge([incident]), "a")
    assert f["category"] == "contested"
    assert "russia blames nusra: not_bound" in f["reasons"]
    assert "usa blames gov: violation" in f["reasons"]


def test_agreeing_attributions_are_not_contested(judge: Judge) -> None:
    incident = event(
        "a",
        perpetrators=[
            {"actor": "gov", "claimed_by": "russia"},
            {"actor": "gov", "claimed_by": "usa"},
        ],
    )
    assert finding(judge([incident]), "a")["category"] == "violation"


def test_unknown_perpetrator_is_indeterminate(judge: Judge) -> None:
    frame = judge([event("a", perpetrators=[]), event("b", perpetrators=["Unheard-of Brigade"])])
    assert finding(frame, "a")["category"] == "indeterminate"
    b = finding(frame, "b")
    assert b["category"] == "indeterminate"
    assert "'Unheard-of Brigade' is not a declared actor" in b["reasons"]


def test_outside_zone_and_outside_window_are_out_of_scope(judge: Judge) -> None:
    frame = judge(
        [
            event("far", place={"lon": 38.5, "lat": 35.5}),
            event("early", time={"start": "2016-04-20"}),
        ]
    )
    far, early = finding(frame, "far"), finding(frame, "early")
    assert (far["category"], far["probability"]) == ("out_of_scope", 0.0)
    assert "outside the zones" in far["reasons"]
    assert (early["category"], early["probability"]) == ("out_of_scope", 0.0)
    assert "outside the window" in early["reasons"]


def test_day_before_and_first_day_of_window(judge: Judge) -> None:
    frame = judge([event("before", time={"start": "2016-04-29"}), event("first")])
    assert finding(frame, "before")["category"] == "out_of_scope"
    assert finding(frame, "first")["category"] == "violation"
    assert finding(frame, "first")["probability"] == 1.0


def test_hour_80_differs_between_readings(judge: Judge) -> None:
    # 2016-04-29T21:00Z + 80 h = 2016-05-03T05:00Z.
    frame = judge([event("h80", time={"start": "2016-05-03T05:00:00Z"})])
    assert finding(frame, "h80", "usa")["category"] == "violation"
    assert finding(frame, "h80", "text")["category"] == "violation"
    russia = finding(frame, "h80", "russia")
    assert russia["category"] == "out_of_scope"
    assert "2016-05-02T21:00Z (russia: 72h)" in russia["reasons"]


def test_point_on_zone_boundary(judge: Judge) -> None:
    frame = judge(
        [
            event("edge", place={"lon": 36.0, "lat": 35.5}),
            event("edge-fuzzy", place={"lon": 36.0, "lat": 35.5, "radius_km": 5}),
        ]
    )
    edge = finding(frame, "edge")
    assert (edge["category"], edge["probability"]) == ("violation", 1.0)  # a zone covers its edge
    fuzzy = finding(frame, "edge-fuzzy")
    assert fuzzy["category"] == "indeterminate"
    assert 0.35 < fuzzy["probability"] < 0.65


def test_party_that_accepted_a_day_late(judge: Judge) -> None:
    frame = judge(
        [
            event("day1", perpetrators=["late"]),
            event("day2", perpetrators=["late"], time={"start": "2016-05-01"}),
        ]
    )
    day1 = finding(frame, "day1")
    assert day1["category"] == "not_bound"
    assert "late is a party only since 2016-05-01" in day1["reasons"]
    assert finding(frame, "day2")["category"] == "violation"


def test_week_precision_straddling_start_is_indeterminate(judge: Judge) -> None:
    # The week 2016-04-27 .. 2016-05-03 (local): 4 of its 7 days are inside.
    incident = event("wk", time={"start": "2016-04-27", "end": "2016-05-03", "precision": "week"})
    f = finding(judge([incident]), "wk")
    assert f["category"] == "indeterminate"
    assert 0 < f["probability"] < 1
    assert f["probability"] == pytest.approx(4 / 7, abs=1e-3)


def test_straddling_incident_by_excluded_actor_is_not_bound_either_way(judge: Judge) -> None:
    incident = event("wk", perpetrators=["is"], time={"start": "2016-04-27", "end": "2016-05-03"})
    f = finding(judge([incident]), "wk")
    assert f["category"] == "not_bound"
    assert "no breach either way" in f["reasons"]


def test_non_violent_act_is_out_of_scope(judge: Judge) -> None:
    f = finding(judge([event("a", act="protest")]), "a")
    assert f["category"] == "out_of_scope"
    assert "act protest is not prohibited" in f["reasons"]


def test_window_from_local_midnight_on_dst_day(tmp_path: Path, judge: Judge) -> None:
    # Damascus moved clocks from 00:00 to 01:00 on 2016-03-25: local midnight
    # did not exist, so the window opens when the clocks jumped, 2016-03-24T22:00Z.
    text = AGREEMENT_YAML.replace('start: "2016-04-30T00:00"', 'start: "2016-03-25T00:00"')
    text = text.replace('since: "2016-05-01"', 'since: "2016-03-26"')
    path = tmp_path / "dst.yaml"
    path.write_text(text, encoding="utf-8")
    frame = judge(
        [
            event("eve", time={"start": "2016-03-24"}),
            event("day", time={"start": "2016-03-25"}),
            event("last-minute", time={"start": "2016-03-24T23:59:00"}),
            event("first-minute", time={"start": "2016-03-25T01:00:00"}),
        ],
        agreement=path,
    )
    assert "window 2016-03-24T22:00Z" in finding(frame, "day")["reasons"]
    assert finding(frame, "eve")["category"] == "out_of_scope"
    assert finding(frame, "day")["category"] == "violation"
    assert finding(frame, "last-minute")["category"] == "out_of_scope"
    assert finding(frame, "first-minute")["category"] == "violation"


def test_fighting_inside_one_party_is_not_between_parties(judge: Judge) -> None:
    f = finding(judge([event("a", perpetrators=["4th Division"], targets=["gov"])]), "a")
    assert f["category"] == "permitted"
    assert "same party (gov)" in f["reasons"]


# ----------------------------------------------------------------- who is charged


def who(f: dict) -> tuple[str, str, str, str]:
    return f["perpetrator"], f["target"], f["sides"], f["party"]


def test_directed_act_names_the_recorded_actor_and_charges_its_party(judge: Judge) -> None:
    frame = judge([event("a"), event("m", perpetrators=["4th Division"])])
    assert who(finding(frame, "a")) == ("gov", "opposition", "gov ~ opposition", "gov")
    # A member stays the actor recorded; the party it is bound through is charged.
    assert who(finding(frame, "m")) == ("army-4th", "opposition", "army-4th ~ opposition", "gov")


def test_a_dyad_charges_neither_side(judge: Judge) -> None:
    frame = judge(
        [
            event("dyad", directed=False),
            event("own", directed=False, perpetrators=["4th Division"], targets=["gov"]),
            event("is", directed=False, targets=["is"]),
        ]
    )
    dyad = finding(frame, "dyad")
    assert dyad["category"] == "violation" and dyad["directed"] == False  # noqa: E712
    assert who(dyad) == ("", "", "gov ~ opposition", "undetermined (gov ~ opposition)")
    # Both sides within one party: that party acted, whichever side attacked.
    assert who(finding(frame, "own"))[2:] == ("army-4th ~ gov", "gov")
    # One side no party: still not said that the government acted.
    assert who(finding(frame, "is"))[2:] == ("gov ~ is", "undetermined (gov ~ is)")


def test_unknown_and_unbound_perpetrators_charge_no_party(judge: Judge) -> None:
    frame = judge(
        [
            event("nobody", perpetrators=[]),
            event("is", perpetrators=["IS"], targets=["gov"]),
            event("turkey", perpetrators=["Military Forces of Turkey (2016-)"]),
        ]
    )
    assert who(finding(frame, "nobody")) == ("", "opposition", "? ~ opposition", "")
    assert who(finding(frame, "is")) == ("is", "gov", "is ~ gov", "")
    assert who(finding(frame, "turkey"))[3] == ""


def test_competing_claims_are_kept_and_charge_no_single_party(judge: Judge) -> None:
    frame = judge(
        [
            event(
                "split",
                perpetrators=[
                    {"actor": "nusra", "claimed_by": "russia"},
                    {"actor": "gov", "claimed_by": "usa"},
                ],
            ),
            event(
                "agreed",
                perpetrators=[
                    {"actor": "4th Division", "claimed_by": "russia"},
                    {"actor": "gov", "claimed_by": "usa"},
                ],
            ),
        ]
    )
    split = finding(frame, "split")
    assert split["perpetrator"] == "nusra (per russia) | gov (per usa)"
    assert split["party"] == "undetermined (gov | nusra)"
    agreed = finding(frame, "agreed")
    assert agreed["perpetrator"] == "army-4th (per russia) | gov (per usa)"
    assert (agreed["category"], agreed["party"]) == ("violation", "gov")


def test_summary_and_weekly_series_are_the_groupby_of_the_frame(
    agreement_file: Path, tmp_path: Path
) -> None:
    from ceasefire.services.assess import run_assessment, violations_by_party, weekly_series

    events = tmp_path / "events.jsonl"
    rows = [
        event("d1", directed=False),
        event("d2", directed=False, time={"start": "2016-05-02"}),
        event("g1", killed={"best": 3}),
        event("o1", perpetrators=["opposition"], targets=["civilians"]),
        event("m1", perpetrators=["4th Division"], targets=["civilians"]),
        event("is", perpetrators=["IS"], targets=["gov"]),
    ]
    events.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = run_assessment([agreement_file], [events])
    frame = result.frame()
    text = frame[(frame.reading == "text") & (frame.category == "violation")]
    by_hand = text.groupby("party").size().to_dict()
    assert by_hand == {"undetermined (gov ~ opposition)": 2, "gov": 2, "opposition": 1}
    summary = result.violations_by_party()
    assert summary.equals(violations_by_party(frame))
    mine = summary[summary.reading == "text"]
    assert dict(zip(mine.party, mine.violations, strict=True)) == by_hand
    assert mine.set_index("party").loc["gov", "killed"] == 3.0
    weekly = weekly_series(result.catalogue, result.incidents, "quiet", by_party=True)
    in_force = weekly[weekly.phase == "in force"].groupby("party").violations.sum()
    assert in_force[in_force > 0].to_dict() == by_hand


# ------------------------------------------------------------ attribution inferred from the source


def flying(agreement_file: Path, tmp_path: Path) -> Path:
    """The test agreement with the government (alone of the dyad's sides) flying."""
    text = agreement_file.read_text(encoding="utf-8").replace(
        "aliases: [Military Forces of Syria (2000-), Syrian government]",
        "aliases: [Military Forces of Syria (2000-), Syrian government, regime forces]\n"
        "    capabilities: [air]",
    )
    path = tmp_path / "flying.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def dyad(ident: str, quote: str, **kw: object) -> dict:
    return event(ident, directed=False, quote=quote, source_name="Monitor", **kw)


def test_a_dyad_whose_source_names_one_side_is_charged_to_it(judge: Judge) -> None:
    frame = judge([dyad("t", "Regime forces shelled the market, killing two")])
    f = finding(frame, "t")
    assert (f["category"], f["perpetrator"], f["party"], f["grade"]) == (
        "violation", "gov", "gov", "weak",
    )  # fmt: skip
    assert f["sides"] == "gov ~ opposition" and f["target"] == "opposition"
    assert 'attribution: gov per Monitor: "Regime forces shelled the market' in f["reasons"]
    assert f["basis"].startswith('gov per Monitor: "Regime forces shelled')


def test_a_dyad_whose_source_names_nobody_stays_undetermined(judge: Judge) -> None:
    f = finding(judge([dyad("n", "Two people were killed in the market")]), "n")
    assert (f["perpetrator"], f["party"], f["grade"]) == (
        "", "undetermined (gov ~ opposition)", "undetermined",
    )  # fmt: skip


def test_an_air_strike_is_the_flying_sides_only_where_the_file_says_who_flies(
    judge: Judge, agreement_file: Path, tmp_path: Path
) -> None:
    incident = dyad("a", "Warplanes struck the market")
    without = finding(judge([incident]), "a")
    assert without["party"] == "undetermined (gov ~ opposition)"
    with_air = finding(judge([incident], flying(agreement_file, tmp_path)), "a")
    assert (with_air["party"], with_air["grade"]) == ("gov", "weak")
    assert "per capability (air" in with_air["basis"]


def test_the_source_against_the_capability_is_contested(
    judge: Judge, agreement_file: Path, tmp_path: Path
) -> None:
    """Text names the opposition, the air strike only the government can have made: both kept."""
    incident = dyad("c", "Rebels shelled the market and warplanes struck it")
    f = finding(judge([incident], flying(agreement_file, tmp_path)), "c")
    if f["grade"] != "contested":  # the reader must split the two acts for this to apply
        pytest.skip(f"the reader does not tell both acts here: {f['basis']!r}")
    assert f["party"] == "undetermined (gov | opposition)"
    assert "opposition per Monitor" in f["basis"] and "gov per capability" in f["basis"]


def test_inference_never_overrides_a_recorded_perpetrator(judge: Judge) -> None:
    incident = event("r", perpetrators=["opposition"], targets=["civilians"],
                     quote="Regime forces shelled the market", source_name="Monitor")  # fmt: skip
    f = finding(judge([incident]), "r")
    assert (f["perpetrator"], f["party"], f["basis"]) == ("opposition", "opposition", "")
    assert f["grade"] == "weak"


def test_no_infer_leaves_the_dyad_undetermined(agreement_file: Path, tmp_path: Path) -> None:
    from ceasefire.services.assess import run_assessment

    events = tmp_path / "events.jsonl"
    events.write_text(json.dumps(dyad("t", "Regime forces shelled the market")) + "\n")
    on = run_assessment([agreement_file], [events]).violations_by_grade()
    off = run_assessment([agreement_file], [events], infer=False)
    assert off.frame().query("reading == 'text'").iloc[0]["party"] == (
        "undetermined (gov ~ opposition)"
    )
    grades = off.violations_by_grade().query("reading == 'text'")
    assert dict(zip(grades.grade, grades.violations, strict=True))["undetermined"] == 1
    on = on.query("reading == 'text'")
    assert dict(zip(on.grade, on.violations, strict=True)) == {
        "confirmed": 0, "fair": 0, "weak": 1, "contested": 0, "discounted": 0, "undetermined": 0,
    }  # fmt: skip


def test_findings_are_the_same_whatever_the_threads() -> None:
    """Scopes located in several threads (each with geometry of its own) give exactly the
    findings of one thread, in the same order; land included."""
    import datetime as dt

    import numpy as np
    from shapely.geometry import Polygon

    from ceasefire.core.actors import ActorRegistry
    from ceasefire.core.engine import assess, build_scopes
    from ceasefire.core.incidents import Conduct, Incidents
    from ceasefire.core.model import Act, Actor, Agreement

    rng = np.random.default_rng(7)
    corners = rng.uniform((35.5, 32.5), (41.0, 36.5), (12, 2))
    zones = {f"z{k}": Polygon([(x, y), (x + 0.4, y), (x + 0.4, y + 0.3), (x, y + 0.3)])
             for k, (x, y) in enumerate(corners)}  # fmt: skip
    agreements = [
        Agreement(id=f"a{k}", title=f"truce {k}", timezone="Asia/Damascus",
                  start=dt.datetime(2016, 1, 1 + k), end=dt.datetime(2016, 3, 1 + k),
                  zones=[z], parties=["gov", "opp"])
        for k, z in enumerate(zones)
    ]  # fmt: skip
    registry = ActorRegistry.of((Actor(id="gov", name="Gov"), Actor(id="opp", name="Opp")))
    n = 20_000
    t0 = 1_451_606_400 + rng.integers(0, 90 * 86_400, n)
    incidents = Incidents.from_arrays(
        lon=rng.uniform(35.5, 41.5, n), lat=rng.uniform(32.5, 37.0, n), t0=t0, t1=t0 + 86_400,
        radius_m=rng.choice([0.0, 5_000.0, 25_000.0], n), conduct=rng.integers(0, 2, n),
        conducts=[Conduct(Act.shelling, ((None, ("gov",)),), ("opp",)),
                  Conduct(Act.clash, ((None, ("opp",)),), ("gov",), directed=False)],
    )  # fmt: skip
    land = Polygon([(35.7, 32.3), (42.4, 32.3), (42.4, 37.3), (35.7, 37.3)]).buffer(-0.2)
    scopes = build_scopes(agreements, zones)
    one = assess(incidents, scopes, registry, land=land, threads=1)
    many = assess(incidents, scopes, registry, land=land, threads=4)
    assert len(one) > 1_000
    for name in ("incident", "scope", "category", "probability", "p_space", "p_time"):
        assert np.array_equal(getattr(one, name), getattr(many, name)), name
    assert one.judgements.keys() == many.judgements.keys()
