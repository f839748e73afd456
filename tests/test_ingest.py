"""Ingestion of the seed pages and of every supported file type."""

from __future__ import annotations

import json
from pathlib import Path

from rag.ingest import load_articles
from rag.ingest.loaders import looks_binary

BOILERPLATE = [
    "Advertisement",
    "See More on Facebook",
    "Enjoyed this story? Share it.",
    "Get more with myNEWS",
    "A personalised news feed",
    "Learn more",
    "Photo: Handout",
    "Written by",
    "Sign up and stay updated",
    "By providing us with your email address",
    "View Today's Newsletter Here",
    "Newsletter presents",
    "About the Author",
    "print edition",
    "PUBLISHED :",
    "Updated:",
]


def by_title(articles, fragment: str):
    [match] = [a for a in articles if fragment in a.title]
    return match


def test_seed_main_articles_metadata(seed_articles) -> None:
    main = [a for a in seed_articles if a.kind == "article"]
    assert [(a.title, a.source, a.published) for a in main] == [
        (
            "China tells North Korea it wants ‘closer communication and cooperation on world stage’",
            "South China Morning Post",
            None,  # the page prints no date
        ),
        (
            "China, North Korea vow close consultation on Korean Peninsula issues",
            "The Korea Herald",
            "2019-09-04",
        ),
        (
            "Kim Jong-un tries to mend fences with China ahead of Donald Trump meeting with pledge to deepen"
            " cooperation with Beijing",
            None,  # the page names no publisher
            "2018-05-03T21:21",
        ),
    ]
    assert all(a.path and a.path.endswith(".txt") for a in main)


def test_no_boilerplate_survives(seed_articles) -> None:
    for article in seed_articles:
        for phrase in BOILERPLATE:
            assert phrase not in article.text, (phrase, article.title)


def test_body_is_kept_in_order(seed_articles) -> None:
    text = by_title(seed_articles, "vow close consultation").text
    first = text.index("The foreign ministers of North Korea and China agreed")
    middle = text.index("It has also expressed discomfort over the impasse")
    last = text.index("establish lasting peace.")
    assert first < middle < last
    assert text.endswith("establish lasting peace.")
    scmp = by_title(seed_articles, "closer communication").text
    assert (
        "The meeting comes as both nations face deadlocks in talks with Washington" in scmp
    )  # summary bullet
    assert scmp.endswith("its territorial integrity.")


def test_seed_002_teasers_are_separate_documents(seed_articles) -> None:
    teasers = [a for a in seed_articles if a.kind == "teaser"]
    assert [(t.title, t.source, t.published) for t in teasers] == [
        (
            "US-Thai defence treaty looks to cement alliance in 21st century",
            "The Nation (Thailand)",
            "2019-11-18",
        ),
        ("Coming challenges call for stronger Korea-ASEAN ties", "Asia News Network", "2019-11-18"),
        ("Ayodhya: Coming full circle", "Ishan Joshi", "2019-11-18"),
        (
            "N. Korea says it sent ultimatum to S. Korea over Mount Kumgang project",
            "The Korea Herald",
            "2019-11-15",
        ),
        ("Death of militant heads will stunt recruitment but not kill it", "The Star", "2019-11-15"),
        ("China, India doing ‘absolutely nothing’ to clean up", "The Statesman", "2019-11-14"),
    ]
    main = by_title(seed_articles, "vow close consultation")
    assert "Mount Kumgang" not in main.text and "Ayodhya" not in main.text
    assert all(t.text.startswith(t.title + "\n\n") for t in teasers)


def test_doc_ids_are_stable_and_reingest_is_noop(seeds_dir: Path, seed_articles) -> None:
    again = load_articles([seeds_dir, seeds_dir / "000_f9c77d167099ad00.txt"])
    assert [a.doc_id for a in again.articles] == [a.doc_id for a in seed_articles]
    assert len({a.doc_id for a in seed_articles}) == len(seed_articles) == 9


def test_binary_and_empty_files_are_skipped_with_warning(tmp_path: Path) -> None:
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "good.txt").write_text(
        "A headline for the test\n\nThe council approved the budget on Monday."
    )
    result = load_articles([tmp_path])
    assert [a.title for a in result.articles] == ["A headline for the test"]
    warnings = "\n".join(result.warnings)
    assert "image.txt: looks like a binary file" in warnings
    assert "empty.txt: file is empty" in warnings
    assert "notes.pdf: not a readable PDF" in warnings


def test_missing_path_warns(tmp_path: Path) -> None:
    result = load_articles([tmp_path / "nope.txt"])
    assert result.articles == [] and "no such file or folder" in result.warnings[0]


def test_non_utf8_text_is_decoded(tmp_path: Path) -> None:
    text = "Café owners protest new rules\n\nThe café owners of Zürich said the rules were unfair."
    (tmp_path / "latin.txt").write_bytes(text.encode("latin-1"))
    (tmp_path / "utf16.txt").write_bytes(text.replace("Café", "Bar").encode("utf-16"))
    result = load_articles([tmp_path / "latin.txt", tmp_path / "utf16.txt"])
    assert [a.title for a in result.articles] == [
        "Café owners protest new rules",
        "Bar owners protest new rules",
    ]
    assert "Zürich" in result.articles[0].text


def test_markdown_title_and_plain_text(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "# Harbour bridge reopens after repairs\n\nThe **bridge** reopened on [Friday](http://x) after a year.\n"
    )
    [article] = load_articles([tmp_path / "a.md"]).articles
    assert article.title == "Harbour bridge reopens after repairs"
    assert "The bridge reopened on Friday after a year." in article.text


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    body = " ".join(f"The council met for the {n}th time and approved the plan." for n in range(4, 12))
    (tmp_path / "page.html").write_text(
        "<html><head><title>Council approves plan | The Gazette</title>"
        '<meta property="og:site_name" content="The Gazette">'
        '<meta name="date" content="2021-03-05"></head><body>'
        "<nav>Home | World | Sport</nav><script>alert('x')</script>"
        f"<article><h1>Council approves plan</h1><p>{body}</p><p>Advertisement</p></article>"
        "<footer>© 2021 The Gazette</footer></body></html>"
    )
    [article] = load_articles([tmp_path / "page.html"]).articles
    assert article.title == "Council approves plan"
    assert article.source == "The Gazette"
    assert article.published == "2021-03-05"
    assert "alert" not in article.text and "Home | World" not in article.text
    assert "Advertisement" not in article.text
    assert "approved the plan." in article.text


def test_jsonl_fields_and_malformed_line(tmp_path: Path) -> None:
    rows = [
        json.dumps(
            {
                "text": "The port reopened on Monday after the storm passed.",
                "title": "Port reopens",
                "source": "Harbour News",
                "published": "March 3, 2020",
                "url": "https://example.org/a",
            }
        ),
        "{not json",
        json.dumps({"title": "no text"}),
        json.dumps({"text": "Farmers expect a record harvest this year, the ministry said."}),
    ]
    (tmp_path / "feed.jsonl").write_text("\n".join(rows) + "\n")
    result = load_articles([tmp_path / "feed.jsonl"])
    assert [(a.title, a.source, a.published, a.url) for a in result.articles] == [
        ("Port reopens", "Harbour News", "2020-03-03", "https://example.org/a"),
        ("feed line 4", None, None, None),
    ]
    assert any("feed.jsonl:2: skipped, not valid JSON" in w for w in result.warnings)
    assert any("feed.jsonl:3: skipped, needs a string field 'text'" in w for w in result.warnings)


def test_looks_binary() -> None:
    assert looks_binary(b"abc\x00def")
    assert not looks_binary(b"plain text\n")
    assert not looks_binary("text".encode("utf-16"))
