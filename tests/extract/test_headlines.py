"""Reading who acted where from a dataset's short source text (`extract.headlines`).

Every sentence here is the project's own, written for these tests, with places and
groups chosen freely; none is taken from an evaluation set.
"""

from __future__ import annotations

from ceasefire.core.attribution import TextAct
from ceasefire.core.model import Act
from ceasefire.extract.headlines import name_key, read_source_text, same_name

MAARRA = {"place": "Maarrat an Nu'man town", "admin2": "Maarat al-Numaan district",
          "admin1": "Idlib Governorate"}  # fmt: skip
SARAQIB = {"place": "Saraqab town", "admin2": "Idleb district", "admin1": "Idlib Governorate"}
TALBISEH = {"place": "Talbiseh town", "admin2": "Ar Rastan district", "admin1": "Homs Governorate"}
ZABADANI = {"place": "Az Zabadani town", "admin2": "Mintaqat az Zabadani district",
            "admin1": "Rif Dimashq Governorate"}  # fmt: skip


def read(text: str, row: dict[str, str]) -> list[TextAct]:
    return read_source_text(text, day=None, **row)


def here(acts: list[TextAct]) -> list[TextAct]:
    """The acts a claim could rest on: about this place, not a tally."""
    return [a for a in acts if a.place_match in ("named", "only_clause") and not a.aggregate]


def agents(acts: list[TextAct]) -> set[str | None]:
    return {a.agent for a in here(acts)}


# agent and victims ----------------------------------------------------------------------


def test_victims_killed_by_the_other_side() -> None:
    acts = read("Two rebels were killed by regime shelling on Talbiseh", TALBISEH)
    assert [(a.act, a.agent, a.victims) for a in acts] == [(Act.shelling, "gov", ("opposition",))]
    assert acts[0].agent_words == "regime"
    assert acts[0].place_match == "named"


def test_fighters_killed_in_foreign_air_strikes_are_victims() -> None:
    acts = read("Several IS fighters died in Russian air strikes near Saraqeb", SARAQIB)
    assert [(a.act, a.agent, a.victims) for a in acts] == [(Act.air_strike, "russia", ("is",))]
    assert acts[0].agent_words == "Russian"


def test_losses_among_and_targeting_name_victims_not_agents() -> None:
    acts = read("Losses among the regime forces after rebels attack their positions in Talbiseh",
                TALBISEH)  # fmt: skip
    assert agents(acts) == {"opposition"}
    assert "gov" in acts[0].victims
    hit = read("Shelling targeting regime positions near Talbiseh", TALBISEH)
    assert agents(hit) == {None}
    assert hit[0].victims == ("gov",)


def test_counted_dead_of_a_side_are_victims() -> None:
    acts = read("Nine members of the regime forces killed in an ambush near Zabadani", ZABADANI)
    assert all(a.agent is None for a in acts)
    assert acts and acts[0].victims == ("gov",)


def test_subject_of_an_active_verb_acted() -> None:
    acts = read("Regime forces shelled Talbiseh at dawn", TALBISEH)
    assert [(a.act, a.agent, a.agent_words) for a in acts] == [
        (Act.shelling, "gov", "Regime forces")
    ]
    kill = read("IS gunmen kill four soldiers of the regime army near Talbiseh", TALBISEH)
    assert agents(kill) == {"is"}


def test_of_after_an_act_names_who_acted_and_a_held_area_does_not() -> None:
    acts = read("Heavy raids of the regime warplanes on Maarrat al-Numan", MAARRA)
    assert agents(acts) == {"gov"}
    held = read("Shells fall on rebel-held Maarrat al-Numan", MAARRA)
    assert agents(held) == {None}
    assert held[0].victims == ()


# clashes and air strikes without an actor ---------------------------------------------


def test_clashes_between_two_sides_name_no_attacker() -> None:
    acts = read("Violent clashes between regime troops and rebel factions around Talbiseh",
                TALBISEH)  # fmt: skip
    assert [(a.act, a.agent) for a in acts] == [(Act.clash, None)]
    assert acts[0].victims == ()
    mutual = read("Exchange of shelling between the regime and the rebels in Talbiseh", TALBISEH)
    assert agents(mutual) == {None}


def test_aircraft_without_an_actor_are_air_strikes_with_no_agent() -> None:
    for text in (
        "Helicopters drop explosive barrels on Zabadani",
        "Warplanes pound Zabadani, casualties reported",
        "Several air raids hit Zabadani",
    ):
        acts = read(text, ZABADANI)
        assert [(a.act, a.agent) for a in acts] == [(Act.air_strike, None)], text
        assert acts[0].place_match == "named"
    named = read("Russian and Syrian warplanes struck Zabadani", ZABADANI)
    assert agents(named) == {"gov", "russia"}


# places ---------------------------------------------------------------------------------


def test_each_clause_is_matched_to_the_row_place() -> None:
    text = "Warplanes bomb Saraqeb; regime forces shell Talbiseh and clashes near Zabadani"
    at_saraqib = read(text, SARAQIB)
    assert [(a.act, a.agent, a.place_match) for a in at_saraqib] == [
        (Act.air_strike, None, "named"),
        (Act.shelling, "gov", "other"),
        (Act.clash, None, "other"),
    ]
    at_talbiseh = read(text, TALBISEH)
    assert [(a.agent, a.place_match) for a in at_talbiseh if a.act is Act.shelling] == [
        ("gov", "named")
    ]
    for act in at_talbiseh:
        assert act.words == text[act.span[0] : act.span[1]]
    assert agents(read(text, ZABADANI)) == {None}


def test_an_actor_named_for_another_place_is_not_this_place_agent() -> None:
    text = "Casualties in Talbiseh and the regime forces shell the western countryside of Idlib"
    acts = read(text, TALBISEH)
    assert agents(acts) == set()
    assert {a.place_match for a in acts if a.agent == "gov"} == {"other"}


def test_the_governorate_counts_unless_a_finer_clause_names_the_place() -> None:
    text = "Regime helicopters strike the southern countryside of Idlib"
    assert agents(read(text, MAARRA)) == {"gov"}
    finer = read("Rebels shell the countryside of Idlib; warplanes target Maarrat al-Numan", MAARRA)
    assert [(a.agent, a.place_match) for a in finer] == [("opposition", "other"), (None, "named")]


def test_only_clause_with_no_place() -> None:
    acts = read("Regime artillery pounded the area overnight", TALBISEH)
    assert [(a.agent, a.place_match) for a in acts] == [("gov", "only_clause")]
    # another report in the row's governorate: which one is the row's cannot be told
    several = read("Regime artillery pounded the area; warplanes struck Qusayr", TALBISEH)
    assert [a.place_match for a in several] == ["none", "other"]
    # a report from another governorate is not the row's: the one left is
    away = read("Regime artillery pounded the area; warplanes struck Saraqeb", TALBISEH)
    assert [a.place_match for a in away] == ["only_clause", "other"]


def test_spellings_of_one_place_match() -> None:
    assert same_name("Hamouriyeh", "Hamouriyah town")
    assert same_name("Khan al-Shih", "Khan ash Shih town")
    assert same_name("Deir Ezzor", "Deir ez Zor")
    assert not same_name("Kafr Nabl", "Kafr Nabuda")
    assert name_key("Az Zabadani town") == "zabadani"


def test_a_fragment_of_a_longer_name_is_not_a_town() -> None:
    # "Khan" alone is a gazetteer village; here it is only the start of another name
    row = {"place": "Khan Shaykhun town", "admin2": "Maarat al-Numaan district",
           "admin1": "Idlib Governorate"}  # fmt: skip
    acts = read("Regime forces shell Khan al-Sabeel and clashes in the countryside of Hama", row)
    # not the row's town by name (that would be "named"); the row's report all the same,
    # the other being in another governorate
    assert [a.place_match for a in acts] == ["only_clause", "other"]
    assert read("Regime forces shell Khan al-Sabeel", row)[0].place_match == "only_clause"


# sources, datelines, tallies, hedges -----------------------------------------------------


def test_dateline_and_reporting_source_are_neither_place_nor_agent() -> None:
    acts = read("AMMAN (Reuters) - Rebels fired rockets at Talbiseh, activists say", TALBISEH)
    assert [(a.act, a.agent, a.place_match) for a in acts] == [
        (Act.shelling, "opposition", "named")
    ]
    sourced = read("The Syrian Observatory said shells fell on Talbiseh", TALBISEH)
    assert [(a.act, a.agent) for a in sourced] == [(Act.shelling, None)]


def test_a_day_tally_is_an_aggregate() -> None:
    text = (
        "61 people were killed yesterday, including 17 members of the regime forces, and 9 "
        "civilians died in shelling by the regime forces"
    )
    acts = read(text, TALBISEH)
    assert acts and all(a.aggregate for a in acts)
    assert here(acts) == []
    assert any(a.victims == ("gov",) for a in acts)


def test_hedged_words() -> None:
    acts = read("Warplanes believed to be Russian reportedly struck Saraqeb", SARAQIB)
    assert acts and all(a.hedged for a in acts)
    plain = read("Warplanes struck Saraqeb", SARAQIB)
    assert plain and not plain[0].hedged


def test_entities_and_empty_texts() -> None:
    text = "The &#8220;regime forces&#8221; shell Talbiseh"
    acts = read(text, TALBISEH)
    assert [(a.act, a.agent) for a in acts] == [(Act.shelling, "gov")]
    assert acts[0].words == text[acts[0].span[0] : acts[0].span[1]]
    assert read("", TALBISEH) == []
    assert read("Daily report of the monitors", TALBISEH) == []


def test_entities_keep_the_source_offsets() -> None:
    text = "The regime&#8217;s helicopters drop barrels on Talbiseh"
    acts = read(text, TALBISEH)
    assert [(a.act, a.agent) for a in acts] == [(Act.air_strike, "gov")]
    assert acts[0].words == text[acts[0].span[0] : acts[0].span[1]] == text
    quoted = read("The &#8220;Islamic State&#8221; organization detonates a car bomb in Talbiseh",
                  TALBISEH)  # fmt: skip
    assert agents(quoted) == {"is"}


def test_an_adjective_after_of_still_names_the_actor() -> None:
    acts = read("Dozens of Russian raids hit Saraqeb", SARAQIB)
    assert agents(acts) == {"russia"}
    assert read("The factions shell Talbiseh", TALBISEH)[0].agent == "opposition"


def test_a_downed_aircraft_did_not_strike() -> None:
    acts = read("Rebels shoot down a regime helicopter near Talbiseh", TALBISEH)
    assert {a.agent for a in acts if a.act is Act.air_strike} <= {None}
    assert "gov" not in agents(acts)


def test_a_quoted_name_starts_a_new_clause() -> None:
    text = 'Raids hit Talbiseh and "Islamic State" fighters executed two men in Saraqeb'
    at_talbiseh = read(text, TALBISEH)
    assert agents(at_talbiseh) == {None}
    assert "is" in agents(read(text, SARAQIB))


def test_coordinated_subjects_and_adjectives() -> None:
    acts = read("The regime forces and Hezbollah shell Zabadani with dozens of shells", ZABADANI)
    assert agents(acts) == {"gov", "hezbollah"}
    both = read("Nine killed by Russian and Syrian airstrikes in Saraqeb", SARAQIB)
    assert agents(both) == {"gov", "russia"}
    assert {a.words for a in both} == {"Nine killed by Russian and Syrian airstrikes in Saraqeb"}


def test_a_second_actor_with_its_own_verb_starts_a_clause() -> None:
    acts = read("Warplanes bomb Saraqeb and IS blows up a bridge near Raqqa", SARAQIB)
    assert agents(acts) == {None}


def test_acled_style_notes() -> None:
    text = (
        "On 4 April 2016, regime forces shelled Kafr Nabl town (Maarat an Numan, Idleb), "
        "killing 3 civilians. 3 fatalities."
    )
    kafr_nabl = {"place": "Kafr Nabl", "admin2": "Maarat an Numan", "admin1": "Idleb"}
    acts = read(text, kafr_nabl)
    assert [(a.act, a.agent, a.place_match) for a in acts] == [(Act.shelling, "gov", "named")]
    assert "(Maarat an Numan, Idleb)" in acts[0].words
    # a row elsewhere in the governorate: the clause is about another town
    other = read(text, {"place": "Saraqab", "admin2": "Idleb", "admin1": "Idleb"})
    assert [a.place_match for a in other] == ["other"]


def test_raids_by_a_side_without_aircraft_are_ground_attacks() -> None:
    acts = read("Nusra fighters raided homes in Saraqeb", SARAQIB)
    assert [(a.act, a.agent) for a in acts] == [(Act.attack, "nusra")]
    # a bare raid may be on the ground or from the air: nothing says which
    bare = read("Raids hit Saraqeb", SARAQIB)
    assert [(a.act, a.agent) for a in bare] == [(Act.attack, None)]
    assert [a.act for a in read("Air raids hit Saraqeb", SARAQIB)] == [Act.air_strike]
    assert [a.act for a in read("Warplanes carry out raids on Saraqeb", SARAQIB)] == [
        Act.air_strike
    ]


def test_an_agent_and_its_aircraft_stay_in_one_clause() -> None:
    acts = read("Bombing by the regime forces and helicopters on Saraqeb", SARAQIB)
    assert agents(acts) == {"gov"}
    assert {a.place_match for a in acts} == {"named"}


def test_the_object_of_an_act_verb_is_a_place_even_if_unknown() -> None:
    text = "Clashes in the countryside of Homs and the regime forces shell Qaryat al-Zaytun"
    acts = read(text, TALBISEH)
    assert [(a.agent, a.place_match) for a in acts] == [(None, "named"), ("gov", "other")]


def test_a_responsibility_claim_names_the_agent_without_a_hedge() -> None:
    acts = read("IS claims responsibility for a car bomb in Talbiseh", TALBISEH)
    assert [(a.act, a.agent, a.hedged) for a in acts] == [(Act.bombing, "is", False)]
    claimed = read("Rebels claimed they shelled Talbiseh", TALBISEH)
    assert claimed and all(a.hedged for a in claimed)


def test_agent_words_are_the_source_words() -> None:
    text = "Assad’s forces shell Talbiseh; the &#8220;Islamic State&#8221; shells Saraqeb"
    for act in read(text, TALBISEH) + read(text, SARAQIB):
        assert act.agent_words in act.words
        assert act.words == text[act.span[0] : act.span[1]]
    at_talbiseh = read(text, TALBISEH)
    assert [(a.agent, a.agent_words) for a in at_talbiseh if a.place_match == "named"] == [
        ("gov", "Assad’s forces")
    ]


def test_a_country_wide_toll_and_the_capital() -> None:
    acts = read("Regime shelling among the causes as 40 people died across Syria", TALBISEH)
    assert acts and all(a.aggregate for a in acts)
    # "the capital" is some place: a clause about it is not read as about this row
    capital = read("Regime forces target the outskirts of the capital", TALBISEH)
    assert [(a.agent, a.place_match) for a in capital] == [("gov", "other")]


# lists of governorates, generic fire by aircraft, lost aircraft ---------------------------


def test_a_clause_listing_governorates_covers_each_of_them() -> None:
    acts = read("Helicopters drop barrels on the countrysides of Hama and Homs", TALBISEH)
    assert [(a.act, a.agent, a.place_match) for a in acts] == [(Act.air_strike, None, "named")]
    both = read("Jets pound Deraa and Homs", TALBISEH)
    assert [a.place_match for a in both] == ["named"]


def test_another_event_joined_by_and_is_not_a_list() -> None:
    """ "Air strikes on A, and losses in B": the strike is not about B."""
    acts = read("Air strikes hit the Hama countryside and three die in Homs", TALBISEH)
    assert all(a.place_match == "other" for a in acts if a.act is Act.air_strike)
    town = read("Air raids on Kafr Nabl in the countryside of Idlib", SARAQIB)
    assert [a.place_match for a in town] == ["other"]  # a town of the row's governorate


def test_a_generic_word_for_fire_by_aircraft_is_one_air_act() -> None:
    acts = read("Warplanes step up their bombing of the Idlib countryside", SARAQIB)
    assert [a.act for a in acts] == [Act.air_strike]


def test_a_lost_aircraft_struck_nothing() -> None:
    for text, row in (
        ("The crash of their helicopter near Talbiseh", TALBISEH),
        ("A warplane crashed near Saraqeb", SARAQIB),
    ):
        assert not any(a.act is Act.air_strike for a in read(text, row)), text


# which clause is the row's: places of their own, one report, the countryside -----------

HOMS_CITY = {"place": "Homs town", "admin2": "Mintaqat Markaz Homs district",
             "admin1": "Homs Governorate"}  # fmt: skip
DOUMA = {"place": "Douma town", "admin2": "Duma district", "admin1": "Rif Dimashq Governorate"}
DAMASCUS = {"place": "Damascus town", "admin2": "Damascus district",
            "admin1": "Damascus Governorate"}  # fmt: skip


def test_a_count_of_the_dead_at_the_rows_town_is_its_own_clause() -> None:
    # the air strike is in Kafr Nabl; the row is the dead counted in Maarrat al-Numan
    acts = read("Warplanes strike Kafr Nabl and 3 killed in Maarrat al-Numan", MAARRA)
    assert [(a.act, a.place_match) for a in acts] == [(Act.air_strike, "other")]
    assert acts[0].words == "Warplanes strike Kafr Nabl"
    # a report naming the town itself outranks one naming only its governorate
    tally = read("Air raids on the Idlib countryside; 12 casualties in Saraqib", SARAQIB)
    assert [(a.act, a.place_match) for a in tally] == [(Act.air_strike, "other")]
    assert here(tally) == []


def test_one_report_is_the_rows_wherever_its_town_is_placed() -> None:
    # a farm area the gazetteer does not know, in a report that tells nothing else
    acts = read("Helicopters drop barrels on the Tell Hamdaniya farms", TALBISEH)
    assert [(a.act, a.agent, a.place_match) for a in acts] == [
        (Act.air_strike, None, "only_clause")
    ]
    # two acts of one report, neither at a place outside the row's governorate
    two = read("Attack by the rebels on Umm Sharshuh and a loud blast rocks the area", TALBISEH)
    assert {a.place_match for a in two} == {"only_clause"}
    assert agents(two) == {"opposition", None}
    # but not a town the gazetteer puts in another governorate
    away = read("Regime forces shell Zabadani", TALBISEH)
    assert [a.place_match for a in away] == ["other"]
    # nor when another report of the text names a place of its own
    split = read("Barrel bombs on Kafr Laha; two wounded in Rastan", TALBISEH)
    assert here(split) == []


def test_the_countryside_of_a_city_is_not_the_city() -> None:
    city = read("Regime shelling on the northern countryside of Homs", HOMS_CITY)
    assert [a.place_match for a in city] == ["other"]
    town = read("Regime shelling on the northern countryside of Homs", TALBISEH)
    assert [(a.agent, a.place_match) for a in town] == [("gov", "named")]
    # "the city and its countryside" is the whole governorate
    both = read("Fresh air raids on Idlib city and its countryside", SARAQIB)
    assert [a.place_match for a in both] == ["named"]


def test_the_countryside_of_the_capital_is_a_governorate_of_its_own() -> None:
    rural = read("Regime warplanes pound the Damascus countryside", DOUMA)
    assert [(a.agent, a.place_match) for a in rural] == [("gov", "named")]
    capital = read("Regime warplanes pound the Damascus countryside", DAMASCUS)
    assert [a.place_match for a in capital] == ["other"]


def test_killed_by_a_side_in_clashes_names_the_killer() -> None:
    acts = read("Three fighters killed by IS in clashes near Talbiseh", TALBISEH)
    assert [(a.act, a.agent) for a in acts] == [(Act.clash, "is")]
    assert acts[0].agent_words == "IS"
    # without "killed by", a clash names nobody as the one who acted
    plain = read("Clashes between IS and the regime forces near Talbiseh", TALBISEH)
    assert agents(plain) == {None}


def test_aircraft_seen_flying_struck_nothing() -> None:
    assert read("Coalition jets fly over Saraqib", SARAQIB) == []
    struck = read("Warplanes hover over Saraqib and then bomb its market", SARAQIB)
    assert [a.act for a in struck] == [Act.air_strike]


def test_an_aircrafts_fire_is_one_air_strike_and_quotes_keep_the_adjective() -> None:
    acts = read("Helicopters shelling the outskirts of Saraqib", SARAQIB)
    assert [a.act for a in acts] == [Act.air_strike]
    quoted = read("“Russian” raids on Saraqib kill four", SARAQIB)
    assert [(a.act, a.agent) for a in quoted] == [(Act.air_strike, "russia")]


def test_unidentified_aircraft_are_marked_as_unknown() -> None:
    acts = read("Unidentified warplanes strike a gathering near Talbiseh", TALBISEH)
    assert [(a.act, a.agent, a.unidentified) for a in acts] == [(Act.air_strike, None, True)]
    known = read("Warplanes strike a gathering near Talbiseh", TALBISEH)
    assert [a.unidentified for a in known] == [False]


def test_an_ambush_and_an_advance_are_one_sides_acts() -> None:
    ambush = read("Rebels ambush a regime convoy near Talbiseh", TALBISEH)
    assert [(a.act, a.agent) for a in ambush] == [(Act.attack, "opposition")]
    advance = read("Regime forces advance on the farms east of Talbiseh", TALBISEH)
    assert [(a.act, a.agent) for a in advance] == [(Act.attack, "gov")]


def test_a_bombardment_led_from_the_air_is_one_air_strike() -> None:
    acts = read("Five dead in air and artillery strikes on Talbiseh", TALBISEH)
    assert [(a.act, a.agent) for a in acts] == [(Act.air_strike, None)]
    # artillery alone stays shelling
    assert [a.act for a in read("Artillery strikes on Talbiseh", TALBISEH)] == [Act.shelling]


def test_a_text_that_stops_after_a_place_word() -> None:
    """A coder's note cut short ("... shelled near the", "... fighting in the town of")
    is read up to where it stops, not past its end."""
    for text in ("Regime forces shelled Talbiseh and the villages near the",
                 "Heavy fighting in the town of", "Mortar rounds fell on the city"):  # fmt: skip
        acts = read(text, TALBISEH)
        assert all(a.act is not None for a in acts)
    assert agents(read("Regime forces shelled Talbiseh and the villages near the", TALBISEH)) == {
        "gov"
    }
