"""The web chat in a real browser: Playwright driving Debian's Chromium against ``python app.py``."""

from __future__ import annotations

import json

import pytest
from browser import ANSWER_TIMEOUT_MS, ask, browser_page, skip_without_chromium
from ui_server import running_app

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

QUESTION = "Who did Wang Yi meet in Pyongyang?"
FOLLOW_UP = "What did he say about Hong Kong?"
# An uploaded article whose text is hostile markup: it must show as text and never run.
UPLOAD = (
    "# Quenton bridge <script>window.__pwned = 1</script>\n\n"
    "The Zorblat bridge in Quenton opened to traffic on 3 March 2021 after four years of work.\n\n"
    'Engineers said the bridge <img src=x onerror="window.__pwned = 2"> carries two railway lines.\n'
)

skip_without_chromium()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    with running_app(tmp_path_factory.mktemp("ui-browser")) as (url, index_dir):
        yield url, index_dir


@pytest.fixture
def page(app):
    with browser_page(app[0]) as page:
        yield page


def test_question_gets_an_answer_with_a_citation_that_expands(app, page, tmp_path):
    from gradio_client import Client

    expected = json.loads(Client(app[0], verbose=False).predict(QUESTION, api_name="/ask"))
    for example in ("Who did Wang Yi meet in Pyongyang?", "When is China's National Day?"):
        assert page.get_by_text(example, exact=True).is_visible()  # examples shown on first load
    reply = ask(page, QUESTION)
    if expected["found"]:
        # The main answer comes first; "Other possible answers" add more quotes below it.
        assert reply.locator(".rag-answer-text").first.inner_text() == expected["text"]
        assert reply.locator(".rag-quote").first.inner_text() == expected["sentence"]
        if expected["text"] != expected["sentence"]:
            assert (
                reply.locator(".rag-quote").first.locator("mark.rag-answer").inner_text() == expected["text"]
            )
    first = expected["citations"][0]
    summary = reply.locator("details.rag-cite summary").first
    assert summary.is_visible()
    assert summary.inner_text().startswith(f"[1] {first['title']}")
    summary.click()
    sentence = reply.locator("details.rag-cite").first.locator("mark.rag-sentence")
    assert sentence.is_visible()
    assert sentence.inner_text() == first["quote"]
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
    assert (tmp_path / "chat.png").stat().st_size > 0


def test_follow_up_is_answered_with_the_chat_history(app, page):
    import rag
    from rag.ui.chat import history_turn

    index = rag.load_index(app[1])
    history = history_turn(QUESTION, rag.ask(QUESTION, index=index))
    expected = rag.ask(FOLLOW_UP, index=index, history=history)
    ask(page, QUESTION)
    reply = ask(page, FOLLOW_UP)
    # The follow-up is answered from the article ("he" is carried over from the first turn), and
    # the browser shows the same answer rag.ask gives with the same history.
    assert expected.found, expected.message
    assert "Hong Kong" in expected.sentence
    assert reply.locator(".rag-answer-text").inner_text() == expected.text
    assert reply.locator(".rag-none").count() == 0


def test_upload_then_ask_then_delete(app, page, tmp_path):
    from rag.ingest import load_articles

    good = tmp_path / "quenton bridge.md"
    good.write_text(UPLOAD, encoding="utf-8")
    title = load_articles([good]).articles[0].title
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\x00\x01\x02\x03" * 64)
    count = page.locator(".rag-count")
    count_before = count.inner_text()

    page.set_input_files("#rag-upload input[type=file]", str(bad))
    page.locator("#rag-status .rag-status-error").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert "broken.txt: looks like a binary file, not text" in page.locator("#rag-status").inner_text()
    assert count.inner_text() == count_before  # the index is as it was

    page.set_input_files("#rag-upload input[type=file]", str(good))
    page.locator("#rag-status .rag-status-ok").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert f"quenton bridge.md: added 1 article ({title})" in page.locator("#rag-status").inner_text()
    page.locator("#rag-articles").get_by_text(title, exact=True).wait_for()
    assert count.inner_text() != count_before

    reply = ask(page, "When did the Zorblat bridge in Quenton open?")
    summary = reply.locator("details.rag-cite summary").first
    assert summary.inner_text().startswith(f"[1] {title}")
    summary.click()
    assert "<img src=x" in reply.locator("details.rag-cite .rag-passage").first.inner_text()
    assert page.evaluate("window.__pwned") is None  # article text was shown, never run
    page.screenshot(path=str(tmp_path / "upload.png"), full_page=True)

    page.click("#rag-delete-pick input")
    page.get_by_role("option", name=title).click()
    page.click("#rag-delete-button")
    page.locator("#rag-status .rag-status-ok").get_by_text("Deleted 1").wait_for(timeout=ANSWER_TIMEOUT_MS)
    assert page.locator("#rag-articles").get_by_text(title, exact=True).count() == 0
    assert count.inner_text() == count_before


def test_date_filter_applies_to_the_next_questions_visibly(app, page, tmp_path):
    from gradio_client import Client

    question = "When did Wang Yi visit Pyongyang?"
    expected = json.loads(
        Client(app[0], verbose=False).predict(question, 5, [], "", "2018-12-31", api_name="/ask")
    )
    assert expected["citations"] and all(c["published"] <= "2018-12-31" for c in expected["citations"])
    line = page.locator("#rag-filter-line")
    assert line.inner_text() == "Answering from all articles."
    page.get_by_text("Filter articles").click()
    page.fill("#rag-filter-until input, #rag-filter-until textarea", "2018-12-31")
    page.keyboard.press("Tab")
    line.get_by_text("published … to 2018-12-31", exact=False).wait_for(timeout=10_000)
    reply = ask(page, question)
    title = expected["citations"][0]["title"]
    assert reply.locator("details.rag-cite summary").first.inner_text().startswith(f"[1] {title}")
    for resolved in expected["dates"]:  # the quote's relative dates, resolved against the article
        assert resolved["text"] in reply.locator(".rag-dates").first.inner_text()
    page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)


def test_picking_a_source_keeps_every_citation_to_it(app, page, tmp_path):
    source = "The Korea Herald"
    page.get_by_text("Filter articles").click()
    page.locator("#rag-filter-sources input").click()
    page.get_by_role("option", name=source).click()
    page.keyboard.press("Escape")
    page.locator("#rag-filter-line").get_by_text(f"Answering only from: {source}", exact=False).wait_for(
        timeout=10_000
    )
    reply = ask(page, QUESTION)
    summaries = reply.locator("details.rag-cite summary")
    assert summaries.count() >= 1
    for number in range(summaries.count()):
        assert f"— {source}" in summaries.nth(number).inner_text()
    page.screenshot(path=str(tmp_path / "source.png"), full_page=True)
