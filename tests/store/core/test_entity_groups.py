"""Entity groups: the alias rules on hand-made mentions, on the real model's mentions of the
sample article and of short texts, the corrections' parameters, and the hand-labelled
fixtures the quality bench scores against."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.groups_quality import FIXTURES, equal_names, load, score
from store import Library
from store.core.entity_groups import NAME_LABELS, Group, group, normal_key
from store.ingest.entities import Analyzer

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "articles" / "000_246f3351ffaac2ed.txt"


def spans(text: str, *marked: tuple[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, label) of each (exact, label), found in order in text."""
    out, at = [], 0
    for exact, label in marked:
        start = text.index(exact, at)
        out.append((start, start + len(exact), label))
        at = start + len(exact)
    return out


def named(text: str, mentions: list[tuple[int, int, str]], **corrections) -> list[tuple]:
    """The groups as (canonical, label, [mention texts])."""
    return [
        (g.canonical, g.label, [text[mentions[i][0] : mentions[i][1]] for i in g.members])
        for g in group(text, mentions, **corrections)
    ]


def real(analyzer: Analyzer, text: str) -> tuple[list[tuple[int, int, str]], list[tuple]]:
    ents = next(analyzer.analyse([text])).entities
    mentions = [(e.start, e.end, e.label) for e in ents]
    return mentions, named(text, mentions)


# -- the real model ------------------------------------------------------------------------


def test_sample_article_groups_people_by_their_full_names(
    analyzer: Analyzer, lib: Library, sample_id: str
) -> None:
    article = lib.get_article(sample_id)  # the text as gloss keeps it: without the headline
    text = article.text
    mentions, groups = real(analyzer, text)
    assert mentions == [(e.start, e.end, e.label) for e in article.entities]
    people = [g for g in groups if g[1] == "PERSON"]
    assert people == [
        ("Vladimir Putin", "PERSON", ["Vladimir Putin", "Putin", "Putin", "Putin", "Putin"]),
        (
            "Xi Jinping",
            "PERSON",
            ["Xi Jinping", "Xi", "Xi", "Xi", "Xi", "Xi Jinping’s"] + ["Xi"] * 6,
        ),
        ("Andrei Denisov", "PERSON", ["Andrei Denisov", "Denisov"]),
        ("Mao Ning", "PERSON", ["Mao Ning"]),
        ("Mao Zedong", "PERSON", ["Mao Zedong"]),
    ]
    xi = next(g for g in group(text, mentions) if g.canonical == "Xi Jinping")
    assert xi.members == (4, 14, 28, 34, 51, 55, 57, 62, 65, 76, 81, 85)
    orgs = {g[0]: g[2] for g in groups if g[1] == "ORG"}
    assert orgs["Shanghai Cooperation Organization"] == ["Shanghai Cooperation Organization"]
    assert orgs["CCP"] == ["CCP"]  # not "Communist Party": the initials are not CCP
    # "Uzbekistan" as GPE and once as ORG is one place.
    assert ("Uzbekistan", "GPE", ["Uzbekistan", "Uzbekistan"]) in groups
    assert len(groups) == 52


def test_a_headline_spanned_as_one_person_is_two_names(analyzer: Analyzer) -> None:
    text = SAMPLE.read_text(encoding="utf-8")  # with its headline "Putin Meets Xi Jinping"
    mentions, groups = real(analyzer, text)
    assert (mentions[0], groups[0]) == (
        (0, 22, "PERSON"),
        ("Putin Meets Xi Jinping", "PERSON", ["Putin Meets Xi Jinping"]),
    )
    people = {g[0]: len(g[2]) for g in groups if g[1] == "PERSON"}
    assert people == {
        "Putin Meets Xi Jinping": 1,
        "Vladimir Putin": 5,
        "Xi Jinping": 12,
        "Andrei Denisov": 2,
        "Mao Ning": 1,
        "Mao Zedong": 1,
    }


def test_an_acronym_introduced_in_parentheses_joins_its_expansion(analyzer: Analyzer) -> None:
    text = (
        "Leaders met at the Shanghai Cooperation Organization (SCO) summit in Samarkand on "
        "Friday. The SCO was founded in 2001, and SCO members include India."
    )
    mentions, groups = real(analyzer, text)
    # The small model spans the introduction as "Shanghai Cooperation Organization (SCO".
    assert text[mentions[0][0] : mentions[0][1]] == "Shanghai Cooperation Organization (SCO"
    assert groups[0] == (
        "Shanghai Cooperation Organization",
        "ORG",
        ["Shanghai Cooperation Organization (SCO", "SCO", "SCO"],
    )


def test_an_acronym_after_its_expansion_and_short_forms_with_other_labels(
    analyzer: Analyzer,
) -> None:
    text = (
        "The European Central Bank held rates. The ECB said inflation was cooling. Christine "
        "Lagarde, the ECB president, spoke. Lagarde said more. Prime Minister Rishi Sunak "
        "spoke on Monday. Mr. Sunak said the economy was improving. President Joe Biden "
        "called Sunak later."
    )
    mentions, groups = real(analyzer, text)
    labels = {text[s:e] + "/" + label for s, e, label in mentions}
    assert {"Lagarde/GPE", "Sunak/ORG", "Sunak/PERSON"} <= labels  # the model's mistakes
    assert groups == [
        ("European Central Bank", "ORG", ["European Central Bank", "ECB", "ECB"]),
        ("Christine Lagarde", "PERSON", ["Christine Lagarde", "Lagarde"]),
        ("Rishi Sunak", "PERSON", ["Rishi Sunak", "Sunak", "Sunak"]),
        ("Monday", "DATE", ["Monday"]),
        ("Joe Biden", "PERSON", ["Joe Biden"]),
    ]


def test_two_people_sharing_a_surname_stay_apart(analyzer: Analyzer) -> None:
    doc = load(FIXTURES / "two_people.json")
    mentions, groups = real(analyzer, doc["text"])
    assert mentions == doc["mentions"]
    assert groups == [
        ("Tom Baker", "PERSON", ["Tom Baker", "Tom Baker’s"]),
        ("Ashford", "GPE", ["Ashford", "Ashford"]),
        ("Monday", "DATE", ["Monday"]),
        ("Anna Baker", "PERSON", ["Anna Baker"]),
        ("four years", "DATE", ["four years"]),
        ("Baker", "PERSON", ["Baker"]),  # Tom or Anna: it joins neither
        ("2021", "DATE", ["2021"]),
    ]
    assert score(doc, group) == (2, 3, 2)  # precision 1.0, recall 2/3


# -- each rule on hand-made mentions ---------------------------------------------------------


def test_a_surname_or_given_name_joins_the_one_full_name_before_or_after_it() -> None:
    text = "Putin spoke. Vladimir Putin and Alan Stevenson met. Alan left; Putin's aide stayed."
    m = spans(
        text,
        ("Putin", "PERSON"),
        ("Vladimir Putin", "PERSON"),
        ("Alan Stevenson", "PERSON"),
        ("Alan", "PERSON"),
        ("Putin's", "PERSON"),
    )
    assert named(text, m) == [
        ("Vladimir Putin", "PERSON", ["Putin", "Vladimir Putin", "Putin's"]),
        ("Alan Stevenson", "PERSON", ["Alan Stevenson", "Alan"]),
    ]


def test_a_shared_surname_or_a_word_of_another_name_stays_alone() -> None:
    text = (
        "Alan Stevenson and Robert Stevenson built it; Stevenson drew it. Elspeth Buchan "
        "leads the Buchan Fishermen's Association; Buchan said no."
    )
    m = spans(
        text,
        ("Alan Stevenson", "PERSON"),
        ("Robert Stevenson", "PERSON"),
        ("Stevenson", "ORG"),
        ("Elspeth Buchan", "PERSON"),
        ("Buchan Fishermen's Association", "ORG"),
        ("Buchan", "PERSON"),
    )
    assert [len(g.members) for g in group(text, m)] == [1, 1, 1, 1, 1, 1]


def test_two_names_run_together_are_nobody_s_full_name() -> None:
    text = "Putin Meets Xi Jinping. Vladimir Putin and Xi Jinping met; Xi smiled, Putin left."
    m = spans(
        text,
        ("Putin Meets Xi Jinping", "PERSON"),
        ("Vladimir Putin", "PERSON"),
        ("Xi Jinping", "PERSON"),
        ("Xi", "PERSON"),
        ("Putin", "PERSON"),
    )
    assert [g.members for g in group(text, m)] == [(0,), (1, 4), (2, 3)]


def test_a_longer_short_form_joins_first_so_the_shortest_finds_one_person() -> None:
    text = "Rui Almeida Reis spoke. Almeida Reis agreed. Reis left."
    m = spans(text, ("Rui Almeida Reis", "PERSON"), ("Almeida Reis", "PERSON"), ("Reis", "ORG"))
    assert named(text, m) == [
        ("Rui Almeida Reis", "PERSON", ["Rui Almeida Reis", "Almeida Reis", "Reis"])
    ]


def test_titles_come_off_people_and_honorifics_off_mislabelled_people() -> None:
    text = (
        "President Putin met Mr. Denisov and Andrei Denisov's staff. Prime Minister Rishi "
        "Sunak and Sunak's office. Councillor Bryn Hughes objected; Hughes left. General "
        "Motors and Motors."
    )
    m = spans(
        text,
        ("President Putin", "PERSON"),
        ("Mr. Denisov", "PERSON"),
        ("Andrei Denisov's", "PERSON"),
        ("Prime Minister Rishi Sunak", "PERSON"),
        ("Sunak's", "PERSON"),
        ("Councillor Bryn Hughes", "ORG"),
        ("Hughes", "ORG"),
        ("General Motors", "ORG"),
        ("Motors", "ORG"),
    )
    assert named(text, m) == [
        ("Putin", "PERSON", ["President Putin"]),
        ("Andrei Denisov", "PERSON", ["Mr. Denisov", "Andrei Denisov's"]),
        ("Rishi Sunak", "PERSON", ["Prime Minister Rishi Sunak", "Sunak's"]),
        ("Bryn Hughes", "ORG", ["Councillor Bryn Hughes", "Hughes"]),
        ("General Motors", "ORG", ["General Motors"]),  # not a title: "Motors" stays apart
        ("Motors", "ORG", ["Motors"]),
    ]


def test_a_title_alone_and_a_name_with_and_without_it() -> None:
    text = "President Putin spoke; Putin left. The President stayed."
    m = spans(text, ("President Putin", "PERSON"), ("Putin", "PERSON"), ("President", "PERSON"))
    assert named(text, m) == [
        ("Putin", "PERSON", ["President Putin", "Putin"]),
        ("President", "PERSON", ["President"]),
    ]


def test_acronyms_by_initials_parentheses_and_ambiguity() -> None:
    text = (
        "The Organisation for Economic Co-operation and Development (OECD) and the U.S. met. "
        "United States officials and the OECD agreed. Alasdair Munro (SNP) and the SNP. "
        "Northern Lighthouse Board and National Liberal Board: NLB."
    )
    m = spans(
        text,
        ("Organisation for Economic Co-operation and Development", "ORG"),
        ("U.S.", "GPE"),
        ("United States", "GPE"),
        ("OECD", "ORG"),
        ("Alasdair Munro", "PERSON"),
        ("SNP", "ORG"),
        ("Northern Lighthouse Board", "ORG"),
        ("National Liberal Board", "ORG"),
        ("NLB", "ORG"),
    )
    groups = named(text, m)
    assert groups[:2] == [
        (
            "Organisation for Economic Co-operation and Development",
            "ORG",
            ["Organisation for Economic Co-operation and Development", "OECD"],
        ),
        ("United States", "GPE", ["U.S.", "United States"]),
    ]
    # "(SNP)" after a person is his party, not his acronym; NLB fits two boards.
    assert [g[2] for g in groups[2:]] == [
        ["Alasdair Munro"],
        ["SNP"],
        ["Northern Lighthouse Board"],
        ["National Liberal Board"],
        ["NLB"],
    ]


def test_the_parentheses_say_which_of_two_expansions_an_acronym_is() -> None:
    text = "National Liberal Board. Northern Lighthouse Board (NLB). NLB."
    m = spans(
        text,
        ("National Liberal Board", "ORG"),
        ("Northern Lighthouse Board", "ORG"),
        ("NLB", "ORG"),
        ("NLB", "ORG"),
    )
    assert [g.members for g in group(text, m)] == [(0,), (1, 2, 3)]


def test_equal_names_join_across_labels_values_do_not() -> None:
    text = "Porto won. Porto fans and Porto's mayor. two days, two people; the Kremlin, Kremlin."
    m = spans(
        text,
        ("Porto", "GPE"),
        ("Porto", "PERSON"),
        ("Porto's", "PERSON"),
        ("two days", "DATE"),
        ("two", "CARDINAL"),
        ("the Kremlin", "ORG"),
        ("Kremlin", "ORG"),
    )
    m[3] = (m[3][0], m[3][0] + 3, "DATE")  # "two" as a DATE and as a CARDINAL
    assert named(text, m) == [
        ("Porto", "PERSON", ["Porto", "Porto", "Porto's"]),  # the label most mentions have
        ("two", "DATE", ["two"]),
        ("two", "CARDINAL", ["two"]),
        ("Kremlin", "ORG", ["the Kremlin", "Kremlin"]),
    ]


def test_a_short_form_does_not_join_a_name_that_is_not_a_person() -> None:
    text = "Frankwell Quay flooded. Frankwell dried. Shrewsbury Sports Village, Shrewsbury."
    m = spans(
        text,
        ("Frankwell Quay", "ORG"),
        ("Frankwell", "ORG"),
        ("Shrewsbury Sports Village", "ORG"),
        ("Shrewsbury", "GPE"),
    )
    assert [g.members for g in group(text, m)] == [(0,), (1,), (2,), (3,)]


def test_no_mentions_blank_spans_and_the_library_key() -> None:
    assert group("", []) == []
    text = "Xi  Jinping " + "Word " * 20
    m = [(0, 0, "PERSON"), (0, 11, "PERSON"), (0, len(text), "PERSON"), (2, 3, "ORG")]
    assert group(text, m) == [
        Group("", "PERSON", (0,)),
        Group("Xi Jinping", "PERSON", (1,)),
        Group("Xi Jinping " + "Word " * 19 + "Word", "PERSON", (2,)),
        Group("", "ORG", (3,)),
    ]
    assert normal_key("  The  Kremlin’s ") == "kremlin"
    assert normal_key("Xi's") == "xi"


# -- corrections -----------------------------------------------------------------------------

XI = "Xi Jinping spoke. Xi left. Xi returned. Peng Liyuan waved."


def xi_mentions() -> list[tuple[int, int, str]]:
    return spans(
        XI, ("Xi Jinping", "PERSON"), ("Xi", "PERSON"), ("Xi", "ORG"), ("Peng Liyuan", "PERSON")
    )


def test_corrections_join_an_existing_group_or_a_new_one() -> None:
    m = xi_mentions()
    assert group(XI, m) == [
        Group("Xi Jinping", "PERSON", (0, 1, 2)),
        Group("Peng Liyuan", "PERSON", (3,)),
    ]
    assert group(XI, m, join={3: "xi jinping"}) == [Group("Xi Jinping", "PERSON", (0, 1, 2, 3))]
    assert group(XI, m, join={1: "Xi Dada", 2: "Xi Dada"}) == [
        Group("Xi Jinping", "PERSON", (0,)),
        Group("Xi Dada", "PERSON", (1, 2)),
        Group("Peng Liyuan", "PERSON", (3,)),
    ]


def test_a_mention_alone_forms_its_own_group_that_nothing_joins() -> None:
    m = xi_mentions()
    assert group(XI, m, alone={2}) == [
        Group("Xi Jinping", "PERSON", (0, 1)),
        Group("Xi", "ORG", (2,)),
        Group("Peng Liyuan", "PERSON", (3,)),
    ]
    assert group(XI, m, alone={0}, join={3: "Xi Jinping"}) == [
        Group("Xi Jinping", "PERSON", (0,)),
        Group("Xi", "PERSON", (1, 2)),
        Group("Xi Jinping", "PERSON", (3,)),  # the alone group is not joined
    ]


def test_the_users_name_for_a_group_and_a_join_to_it() -> None:
    m = xi_mentions()
    assert group(XI, m, named={1: "President Xi"}) == [
        Group("President Xi", "PERSON", (0, 1, 2)),
        Group("Peng Liyuan", "PERSON", (3,)),
    ]
    assert group(XI, m, named={2: "President Xi"}, join={3: "President Xi"}) == [
        Group("President Xi", "PERSON", (0, 1, 2, 3)),
    ]
    assert group(XI, m, join={3: "Madame Peng"}, named={3: "Peng Liyuan"}) == [
        Group("Xi Jinping", "PERSON", (0, 1, 2)),
        Group("Peng Liyuan", "PERSON", (3,)),
    ]


# -- the hand-labelled fixtures ----------------------------------------------------------------


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.json"))


def test_fixtures_load_and_label_every_name_mention_once() -> None:
    assert len(fixtures()) == 11
    for path in fixtures():
        raw = json.loads(path.read_text(encoding="utf-8"))
        doc = load(path)
        text = doc["text"]
        assert [text[s:e] for s, e, _, _ in raw["mentions"]] == [x[3] for x in raw["mentions"]]
        labelled = sorted(i for g in doc["gold"] for i in g["members"])
        names = [i for i, (_, _, label) in enumerate(doc["mentions"]) if label in NAME_LABELS]
        assert labelled == names, path.name
        assert doc["mentions"] == sorted(doc["mentions"]), path.name


def test_the_fixtures_of_the_shipped_articles_are_what_gloss_keeps(lib: Library) -> None:
    # The five articles in articles/: the text gloss keeps and the real model's mentions.
    shipped = [load(p) for p in fixtures() if load(p)["source"].startswith("articles/")]
    assert len(shipped) == 5
    for doc in shipped:
        article = lib.get_article(doc["article"])
        assert doc["text"] == article.text
        assert doc["mentions"] == [(e.start, e.end, e.label) for e in article.entities]


@pytest.mark.parametrize("name", ["two_people", "72175d5f", "9dddeed8"])
def test_precision_is_one_where_people_share_a_surname(name: str) -> None:
    # Alan and Robert Stevenson; Rui Tavares Moura and Leonor Moura; Tom and Anna Baker.
    predicted, _, both = score(load(FIXTURES / f"{name}.json"), group)
    assert predicted == both > 0


def test_the_alias_rules_find_more_pairs_and_no_wrong_one() -> None:
    totals = {equal_names: [0, 0, 0], group: [0, 0, 0]}
    for path in fixtures():
        for grouper, total in totals.items():
            for k, n in enumerate(score(load(path), grouper)):
                total[k] += n
    assert totals[equal_names] == [147, 196, 147]
    assert totals[group] == [186, 196, 186]
