"""One test per cleaning rule in rag/ingest/rules.py, plus the page-level steps."""

from __future__ import annotations

import pytest

from rag.ingest import rules
from rag.ingest.clean import clean_page, drop_furniture, find_dates, find_source, split_teasers
from rag.ingest.dates import is_date_only, parse_date


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Advertisement", "advertisement"),
        ("Sponsored content", "advertisement"),
        ("See More on Facebook", "social"),
        ("Follow us on Twitter", "social"),
        ("Enjoyed this story? Share it.", "share_prompt"),
        ("Did you enjoy this article? Tell a friend", "share_prompt"),
        ("Sign up and stay updated with the latest news.", "newsletter"),
        ("Our Morning Newsletter presents the best stories of the day.", "newsletter"),
        ("View Today's Newsletter Here", "newsletter"),
        ("By providing us with your email address, you agree to our Privacy Policy.", "privacy"),
        ("Get more with myNEWS", "promo"),
        ("Learn more", "promo"),
        ("Read more: the full report", "promo"),
        ("Written by", "empty_byline"),
        ("Minister meets envoy in the capital. Photo: Handout", "photo_credit"),
        ("Crowds gather outside the court. Photo: AFP", "photo_credit"),
        ("This article appeared in the Daily Planet print edition as: A headline", "print_edition"),
        ("About the Author: The Daily Planet is a newspaper.", "about_author"),
        ("© 2019 Daily Planet", "copyright"),
    ],
)
def test_each_rule_matches_its_furniture(line: str, rule: str) -> None:
    matched = rules.matching_rule(line)
    assert matched is not None and matched.name == rule


@pytest.mark.parametrize(
    "line",
    [
        "The minister said the photo was taken in June.",
        "Advertisement revenue fell by 20 per cent last year, the company said.",
        "He said he would sign up for the programme next year.",
        "Readers can learn more about the treaty in the annex, officials said.",
        "By Tuesday, the talks had collapsed.",
        "Subscribers to the plan pay less.",
    ],
)
def test_rules_keep_article_prose(line: str) -> None:
    assert rules.matching_rule(line) is None


def test_promo_block_runs_to_call_to_action() -> None:
    lines = ["Get more with myPAPER", "A feed of stories picked for you", "Learn more", "Body text here."]
    kept, dropped = drop_furniture(lines)
    assert kept == ["Body text here."]
    assert dropped == lines[:3]


def test_sentence_like() -> None:
    assert rules.is_sentence_like("He said it was over.")
    assert rules.is_sentence_like("“It is over,” he said.”")
    assert not rules.is_sentence_like("Talks stall as envoy leaves")
    assert not rules.is_sentence_like("World")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("September 4, 2019", "2019-09-04"),
        ("Thursday, 03 May, 2018, 9:21pm", "2018-05-03T21:21"),
        ("November 14, 2019", "2019-11-14"),
        ("2020-01-31", "2020-01-31"),
        ("no date here", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_date_lines_prefer_published_over_updated() -> None:
    lines = ["UPDATED : Friday, 04 May, 2018, 1:06pm", "PUBLISHED : Thursday, 03 May, 2018, 9:21pm", "Body."]
    published, date_lines = find_dates(lines)
    assert published == "2018-05-03T21:21"
    assert date_lines == {0, 1}


def test_date_only_lines() -> None:
    assert is_date_only("November 18, 2019")
    assert is_date_only("Thursday, 03 May, 2018, 9:21pm")
    assert not is_date_only("On November 18, 2019 the talks began.")


def test_source_from_print_edition_and_author_blurb() -> None:
    assert find_source(["This article appeared in the Daily Planet print edition as: X"]) == "Daily Planet"
    assert find_source(["About the Author: The Gazette is the city's paper."]) == "The Gazette"
    assert find_source(["Nothing to see."]) is None


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("LONDON, England (CNN) -- Thousands of protesters marched through London.", "CNN"),
        ("WASHINGTON (AP) — The Senate voted on Tuesday.", "AP"),
        ("BEIJING (Reuters) - China said on Monday it would respond.", "Reuters"),
        ("NATO (North Atlantic Treaty Organization) members met in Brussels.", None),  # no dateline dash
        ("The (CNN) -- report was wrong.", None),  # no place in capitals before it
    ],
)
def test_source_from_a_wire_dateline(line: str, source: str | None) -> None:
    assert find_source([line]) == source


def test_teaser_block_is_split_off() -> None:
    lines = [
        "Main story body sentence.",
        "",
        "Other headline about markets",
        "",
        "Markets rose today. Traders were pleased.",
        "",
        "By The Courier",
        "November 15, 2019",
    ]
    main, teasers = split_teasers(lines)
    assert main == ["Main story body sentence.", ""]
    assert len(teasers) == 1
    teaser = teasers[0]
    assert (teaser.title, teaser.source, teaser.published, teaser.kind) == (
        "Other headline about markets",
        "The Courier",
        "2019-11-15",
        "teaser",
    )


def test_clean_page_finds_title_and_drops_nav_before_it() -> None:
    page = "\n".join(
        [
            "Advertisement",
            "World",
            "Envoys agree to resume stalled border talks",
            "",
            "Updated: March 2, 2020",
            "",
            "Envoys from both countries agreed on Monday to resume border talks that stalled last year, officials said.",
            "",
            "Related stories",
            "Talks are expected to begin in April.",
        ]
    )
    [article] = clean_page(page)
    assert article.title == "Envoys agree to resume stalled border talks"
    assert article.published == "2020-03-02"
    assert article.text.startswith(article.title + "\n\n")
    assert "Advertisement" not in article.text and "World\n" not in article.text
    assert "Related stories" not in article.text
    assert article.text.endswith("Talks are expected to begin in April.")
