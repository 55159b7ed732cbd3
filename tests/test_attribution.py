"""Who acted, when the dataset does not say: the text and capability rules, and grades.

The rules are tested on hand-built `TextAct`s (what the reader returns), so each
edge is pinned down whatever the reader does; the last tests run the reader too.
"""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.attribution import (
    TextAct,
    conduct_grade,
    grade,
    infer,
    inferred_conduct,
    top_side,
)
from ceasefire.core.incidents import Claim, Conduct
from ceasefire.core.model import Act, Actor, Capability, Grade

REGISTRY = ActorRegistry.of(
    [
        Actor(id="gov", name="Government", capabilities=[Capability.air]),
        Actor(id="ndf", name="NDF", member_of=["gov"]),
        Actor(id="russia", name="Russia", capabilities=[Capability.air]),
        Actor(id="opposition", name="Opposition"),
        Actor(id="faction", name="A faction", member_of=["opposition"]),
        Actor(id="sdf", name="SDF"),
        Actor(id="nusra", name="Nusra"),
        Actor(id="turkey", name="Turkey", capabilities=[Capability.air]),
        Actor(id="flyer-militia", name="A militia", member_of=["sdf"]),
    ]
)

DYAD = Conduct(Act.attack, ((None, ("gov",)),), ("opposition",), directed=False)


def act(
    kind: Act = Act.shelling,
    agent: str | None = "gov",
    *,
    words: str = "the shelling by the army of the town",
    place: str = "named",
    aggregate: bool = False,
    hedged: bool = False,
    start: int = 0,
    unidentified: bool = False,
) -> TextAct:
    return TextAct(
        act=kind,
        agent=agent,
        agent_words=agent or "",
        victims=(),
        span=(start, start + len(words)),
        words=words,
        place_match=place,  # type: ignore[arg-type]
        aggregate=aggregate,
        hedged=hedged,
        unidentified=unidentified,
    )


# ---------------------------------------------------------------- the text rule


def test_an_agent_of_one_side_at_this_place_is_that_sides_claim() -> None:
    claims, basis = infer(DYAD, [act(agent="gov", start=4)], REGISTRY, "SOHR")
    assert claims == (("source:SOHR", ("gov",)),)
    assert basis == ['gov per SOHR: "the shelling by the army of the town" [4:40]']


def test_a_member_of_a_side_names_that_side() -> None:
    claims, _ = infer(DYAD, [act(agent="faction")], REGISTRY, "SOHR")
    assert claims == (("source:SOHR", ("opposition",)),)


def test_the_only_clause_counts_as_about_this_place() -> None:
    claims, _ = infer(DYAD, [act(agent="opposition", place="only_clause")], REGISTRY, "SOHR")
    assert claims == (("source:SOHR", ("opposition",)),)


def test_a_clause_about_another_place_gives_no_claim() -> None:
    for place in ("other", "none"):
        assert infer(DYAD, [act(agent="gov", place=place)], REGISTRY, "SOHR") == ((), [])


def test_a_days_tally_gives_no_claim() -> None:
    assert infer(DYAD, [act(agent="gov", aggregate=True)], REGISTRY, "SOHR") == ((), [])


def test_an_agent_outside_the_dyad_gives_no_claim_and_says_why() -> None:
    claims, basis = infer(DYAD, [act(agent="russia")], REGISTRY, "SOHR")
    assert claims == ()
    assert len(basis) == 1
    assert basis[0].startswith("no claim: SOHR names russia")
    assert "not a side of gov ~ opposition" in basis[0]


def test_an_excluded_actor_named_as_agent_outside_the_dyad_gives_no_claim() -> None:
    claims, basis = infer(DYAD, [act(agent="nusra")], REGISTRY, "SOHR")
    assert claims == ()
    assert "names nusra" in basis[0]


def test_an_excluded_actor_that_is_a_side_is_claimed_and_judged_by_the_engine() -> None:
    dyad = Conduct(Act.attack, ((None, ("gov",)),), ("nusra",), directed=False)
    claims, _ = infer(dyad, [act(agent="nusra")], REGISTRY, "SOHR")
    assert claims == (("source:SOHR", ("nusra",)),)
    conduct = inferred_conduct(dyad, claims, Act.shelling)
    assert conduct.targets == ("gov",)


def test_an_unknown_agent_gives_no_claim() -> None:
    claims, basis = infer(DYAD, [act(agent="Unheard-of Brigade")], REGISTRY, "SOHR")
    assert claims == () and "Unheard-of Brigade" in basis[0]


def test_nothing_is_inferred_where_the_dataset_recorded_who_acted() -> None:
    directed = Conduct(Act.attack, ((None, ("opposition",)),), ("civilians",), directed=True)
    assert infer(directed, [act(agent="gov")], REGISTRY, "SOHR") == ((), [])
    assert infer(directed, [act(Act.air_strike, None)], REGISTRY, "SOHR") == ((), [])


def test_an_unnamed_source_is_still_a_source() -> None:
    claims, _ = infer(DYAD, [act(agent="gov")], REGISTRY, "")
    assert claims == (("source:text", ("gov",)),)


# ---------------------------------------------------------------- the capability rule


def test_an_air_strike_where_only_one_side_flies_is_that_sides() -> None:
    strike = act(Act.air_strike, None, words="warplanes struck")
    claims, basis = infer(DYAD, [strike], REGISTRY, "X")
    assert claims == (("inferred:capability:air", ("gov",)),)
    assert basis == [
        "gov per capability (air: only gov's side of gov ~ opposition has it): "
        '"warplanes struck" [0:16]'
    ]


def test_an_air_strike_where_both_sides_fly_gives_no_claim() -> None:
    both = Conduct(Act.attack, ((None, ("gov",)),), ("turkey",), directed=False)
    assert infer(both, [act(Act.air_strike, None)], REGISTRY, "X") == ((), [])


def test_a_member_with_the_capability_counts_for_its_side() -> None:
    # sdf has no aircraft, but one of its members does here: both sides fly.
    registry = ActorRegistry.of(
        [
            *REGISTRY.actors.values(),
            Actor(id="sdf-air", name="SDF air wing", member_of=["sdf"], capabilities=["air"]),
        ]
    )
    dyad = Conduct(Act.attack, ((None, ("gov",)),), ("sdf",), directed=False)
    assert infer(dyad, [act(Act.air_strike, None)], registry, "X") == ((), [])
    assert infer(dyad, [act(Act.air_strike, None)], REGISTRY, "X")[0] == (
        ("inferred:capability:air", ("gov",)),
    )


def test_an_ancestor_with_the_capability_counts_for_its_member() -> None:
    dyad = Conduct(Act.attack, ((None, ("ndf",)),), ("opposition",), directed=False)
    claims, _ = infer(dyad, [act(Act.air_strike, None)], REGISTRY, "X")
    assert claims == (("inferred:capability:air", ("ndf",)),)


def test_a_ground_act_without_an_agent_gives_no_claim() -> None:
    assert infer(DYAD, [act(Act.shelling, None)], REGISTRY, "X") == ((), [])


def test_an_air_strike_beside_shelling_by_nobody_named_here_gives_no_claim() -> None:
    acts = [act(Act.shelling, None), act(Act.air_strike, None, start=40)]
    claims, basis = infer(DYAD, acts, REGISTRY, "X")
    assert claims == ()
    assert basis[0].startswith("no claim from capability: shelling by nobody named")
    # Shelling somewhere else does not stand in the way.
    acts = [act(Act.shelling, None, place="other"), act(Act.air_strike, None, start=40)]
    assert infer(DYAD, acts, REGISTRY, "X")[0] == (("inferred:capability:air", ("gov",)),)


def test_an_air_strike_elsewhere_or_in_a_tally_gives_no_claim() -> None:
    assert infer(DYAD, [act(Act.air_strike, None, place="other")], REGISTRY, "X") == ((), [])
    assert infer(DYAD, [act(Act.air_strike, None, aggregate=True)], REGISTRY, "X") == ((), [])


def test_an_air_strike_naming_an_outside_agent_is_not_charged_by_capability() -> None:
    claims, basis = infer(DYAD, [act(Act.air_strike, "russia")], REGISTRY, "X")
    assert claims == () and "names russia" in basis[0]


# ---------------------------------------------------------------- both rules


def test_text_and_capability_naming_different_sides_are_both_kept() -> None:
    acts = [act(Act.shelling, "opposition"), act(Act.air_strike, None, start=50)]
    claims, basis = infer(DYAD, acts, REGISTRY, "SOHR")
    assert set(claims) == {
        ("source:SOHR", ("opposition",)),
        ("inferred:capability:air", ("gov",)),
    }
    assert len(basis) == 2
    conduct = inferred_conduct(DYAD, claims, Act.shelling)
    assert set(conduct.targets) == {"gov", "opposition"}
    assert conduct_grade(conduct, REGISTRY) is Grade.contested


def test_the_inferred_conduct_keeps_the_dyad_and_targets_the_other_side() -> None:
    claims = (("source:SOHR", ("opposition",)),)
    conduct = inferred_conduct(DYAD, claims, Act.shelling)
    assert conduct.directed
    assert conduct.perpetrators == claims
    assert conduct.targets == ("gov",)
    assert conduct.dyad == (("gov",), ("opposition",))
    assert conduct.act is Act.shelling


# ---------------------------------------------------------------- grades


def test_grades_in_order() -> None:
    side = {"ndf": "gov"}.get
    by_side = lambda a: side(a) or a  # noqa: E731
    one = [("source:SOHR", ("gov",))]
    assert grade([]) is Grade.undetermined
    assert grade([(None, ())]) is Grade.undetermined
    assert grade(one) is Grade.weak
    assert grade([(None, ("gov",))]) is Grade.weak
    assert grade([("inferred:capability:air", ("gov",))]) is Grade.weak
    assert grade([*one, ("inferred:capability:air", ("gov",))]) is Grade.weak
    assert grade([*one, ("source:Waha", ("ndf",))], side_of=by_side) is Grade.fair
    assert grade([*one, ("source:Waha", ("opposition",))]) is Grade.contested
    assert grade([("actor:gov", ("ndf",))], side_of=by_side) is Grade.confirmed
    assert grade(one, responsibility=True) is Grade.confirmed
    assert grade(one, responsibility=True, discounted=True) is Grade.discounted
    assert grade([], discounted=True) is Grade.discounted


def test_an_undirected_dyad_is_undetermined() -> None:
    assert conduct_grade(DYAD, REGISTRY) is Grade.undetermined


def test_top_side() -> None:
    assert top_side("ndf", REGISTRY) == "gov"
    assert top_side("faction", REGISTRY) == "opposition"
    assert top_side("?Somebody", REGISTRY) == "?Somebody"


# ---------------------------------------------------------------- properties

_ACTORS = st.sampled_from(["gov", "ndf", "opposition", "faction", "russia", "nusra", "sdf"])
_CLAIMANTS = st.sampled_from(
    [None, "source:SOHR", "source:Waha", "inferred:capability:air", "user:alice", "actor:gov"]
)
_CLAIMS = st.lists(st.tuples(_CLAIMANTS, st.lists(_ACTORS, max_size=2).map(tuple)), max_size=4)
_ACTS = st.builds(
    act,
    st.sampled_from([Act.shelling, Act.air_strike, Act.drone_strike, Act.clash]),
    st.one_of(st.none(), _ACTORS, st.just("Unheard-of Brigade")),
    place=st.sampled_from(["named", "only_clause", "other", "none"]),
    aggregate=st.booleans(),
    hedged=st.booleans(),
)
_DYADS = st.tuples(
    st.lists(_ACTORS, min_size=1, max_size=2, unique=True).map(tuple),
    st.lists(_ACTORS, min_size=1, max_size=2, unique=True).map(tuple),
)


@given(_CLAIMS, st.booleans(), st.booleans())
def test_grade_does_not_depend_on_the_order_of_claims(
    claims: list[Claim], responsibility: bool, discounted: bool
) -> None:
    side = lambda a: top_side(a, REGISTRY)  # noqa: E731
    expected = grade(claims, side_of=side, responsibility=responsibility, discounted=discounted)
    for order in itertools.islice(itertools.permutations(claims), 24):
        assert grade(order, side_of=side, responsibility=responsibility, discounted=discounted) is (
            expected
        )


@given(_DYADS, st.lists(_ACTS, max_size=5), st.booleans())
def test_inference_never_removes_or_overwrites_a_claim(
    dyad: tuple[tuple[str, ...], tuple[str, ...]], acts: list[TextAct], directed: bool
) -> None:
    recorded: Claim = (None, dyad[0])
    conduct = Conduct(Act.attack, (recorded,), dyad[1], directed=directed)
    claims, _ = infer(conduct, acts, REGISTRY, "SOHR")
    if directed:
        assert claims == ()
        return
    result = inferred_conduct(conduct, claims, Act.shelling)
    # The dataset's sides are kept (in `dyad`), and every inferred claim names one of them.
    if claims:
        assert result.dyad == dyad
        assert set(result.perpetrators) == set(claims)
    else:
        assert result == conduct
    for _, names in claims:
        assert set(names) <= set(dyad[0]) | set(dyad[1])
    # Reading more text only adds claims.
    more, _ = infer(conduct, [*acts, act(Act.air_strike, None)], REGISTRY, "SOHR")
    assert set(claims) <= set(more)


# ---------------------------------------------------------------- recorded under a side


FILED = ActorRegistry.of(
    [
        *(a for a in REGISTRY.actors.values() if a.id != "turkey"),
        Actor(
            id="turkey", name="Turkey", capabilities=[Capability.air], recorded_under=["faction"]
        ),
        Actor(id="turkish-unit", name="A Turkish unit", member_of=["turkey"]),
    ]
)


def test_an_actor_the_dataset_files_under_a_side_is_named_as_itself() -> None:
    # the dataset records Turkey's acts under one faction of the opposition
    dyad = Conduct(Act.attack, ((None, ("gov",)),), ("opposition",), directed=False)
    claims, basis = infer(dyad, [act(Act.shelling, "turkey")], FILED, "Monitor")
    assert claims == (("source:Monitor", ("turkey",)),)
    assert basis[0].startswith("turkey per Monitor (the dataset files turkey's acts under")
    conduct = inferred_conduct(dyad, claims, registry=FILED)
    assert conduct.targets == ("gov",)
    # a unit of it, too
    unit, _ = infer(dyad, [act(Act.shelling, "turkish-unit")], FILED, "Monitor")
    assert unit == (("source:Monitor", ("turkish-unit",)),)
    # without the declaration it stays outside the dyad
    assert infer(dyad, [act(Act.shelling, "turkey")], REGISTRY, "Monitor")[0] == ()


def test_filed_under_a_side_not_in_this_dyad_gives_no_claim() -> None:
    dyad = Conduct(Act.attack, ((None, ("gov",)),), ("sdf",), directed=False)
    claims, basis = infer(dyad, [act(Act.shelling, "turkey")], FILED, "Monitor")
    assert claims == () and "not a side of" in basis[0]


def test_unidentified_aircraft_give_no_capability_claim() -> None:
    claims, basis = infer(DYAD, [act(Act.air_strike, None, unidentified=True)], REGISTRY, "X")
    assert claims == ()
    assert basis[0].startswith("no claim from capability: X says it does not know who")


def test_agents_one_clause_names_together_make_one_joint_claim() -> None:
    dyad = Conduct(Act.attack, ((None, ("gov",)),), ("opposition",), directed=False)
    together = [act(Act.air_strike, "turkey"), act(Act.air_strike, "faction")]  # one span
    claims, _ = infer(dyad, together, FILED, "Monitor")
    assert claims == (("source:Monitor", ("turkey", "opposition")),)
    assert inferred_conduct(dyad, claims, registry=FILED).targets == ("gov",)
    # agents of both sides in one clause are competing claims, not a joint act
    both = [act(Act.shelling, "gov"), act(Act.shelling, "faction")]
    assert infer(dyad, both, FILED, "Monitor")[0] == (
        ("source:Monitor", ("gov",)),
        ("source:Monitor", ("opposition",)),
    )
    # two clauses naming the same side are one claim of it
    apart = [act(Act.shelling, "ndf"), act(Act.shelling, "gov", start=60)]
    assert infer(dyad, apart, FILED, "Monitor")[0] == (("source:Monitor", ("gov",)),)


def test_a_source_naming_who_on_the_side_acted_outranks_the_capability() -> None:
    ally = ActorRegistry.of(
        [
            *REGISTRY.actors.values(),
            Actor(id="ally", name="An ally", capabilities=[Capability.air], recorded_under=["gov"]),
        ]
    )
    acts = [act(Act.air_strike, "ally"), act(Act.air_strike, None, start=60)]
    claims, basis = infer(DYAD, acts, ally, "Monitor")
    assert claims == (("source:Monitor", ("ally",)),)  # not also gov by capability
    assert any("per capability" in line for line in basis)  # the reasoning is still shown


# ---------------------------------------------------------------- the act the words tell


def test_the_one_kind_of_act_the_rows_clauses_tell_is_its_act() -> None:
    from ceasefire.core.attribution import told_act

    kind, line = told_act(DYAD, [act(Act.shelling, None)], "SOHR")
    assert kind is Act.shelling
    assert line == 'act shelling from SOHR\'s words: "the shelling by the army of the town" [0:36]'
    # several kinds, a tally, another place or a specific act already recorded: nothing
    two = [act(Act.shelling, None), act(Act.air_strike, None, start=50)]
    assert told_act(DYAD, two, "SOHR") == (None, None)
    assert told_act(DYAD, [act(Act.shelling, None, aggregate=True)], "X") == (None, None)
    assert told_act(DYAD, [act(Act.shelling, None, place="other")], "X") == (None, None)
    recorded = Conduct(Act.mortar, DYAD.perpetrators, DYAD.targets, directed=False)
    assert told_act(recorded, [act(Act.shelling, None)], "X") == (None, None)
    # a generic attack beside the one kind does not count as another kind
    assert told_act(DYAD, [act(Act.attack, None), act(Act.clash, None, start=40)], "X")[0] is (
        Act.clash
    )
