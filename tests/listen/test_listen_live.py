"""/listen on a real `fairfinder serve` with the demo data (issue 19 item 4): each task's sentence does not say
again what its heading (or a hidden task's summary and reasons) says, and every demo task links to the platform
(ids valid by scrapers/ids.py) and to its requester's page on this server."""
from __future__ import annotations

import html
import re

import httpx

from accessibility.speech import for_the_ear
from scrapers import ids
from tests.conftest import LiveServer

ARTICLE = re.compile(r'<article class="task".*?<h2 id="[^"]*" tabindex="-1">(.*?)</h2>\s*<p class="sentence">(.*?)</p>'
                     r'(.*?)</article>', re.S)
HIDDEN = re.compile(r"<details>\s*<summary>(.*?)</summary>(.*?)<p class=\"sentence\">(.*?)</p>\s*</details>", re.S)


def title_start(title: str) -> str:
    """The title's first words as the sentence would have spoken them."""
    return " ".join(for_the_ear(html.unescape(title)).split()[:4]).rstrip(".")


def seeded(live_server: LiveServer) -> httpx.Client:
    result = live_server.cli("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    return httpx.Client(base_url=live_server.url, timeout=30)


def test_sentences_do_not_repeat_the_heading_and_demo_tasks_link_out(live_server: LiveServer) -> None:
    with seeded(live_server) as http:
        for verbosity in ("short", "normal", "full"):
            page = http.get("/listen", params={"verbosity": verbosity})
            assert page.status_code == 200, page.text
            articles = ARTICLE.findall(page.text)
            assert len(articles) == 27, verbosity
            for title, sentence, _rest in articles:
                sentence = html.unescape(sentence)
                assert title_start(title) not in sentence, (verbosity, title, sentence)
                assert sentence and not sentence.startswith("Untitled"), sentence
        page = http.get("/listen")
        requester_pages: set[str] = set()
        for title, _, rest in ARTICLE.findall(page.text):
            links = re.findall(r'<a [^>]*href="([^"]+)"', rest)
            preview = [url for url in links if url.startswith("https://worker.mturk.com/projects/") and url.endswith("/tasks")]
            accept = [url for url in links if url.endswith("/tasks/accept_random")]
            assert len(preview) == 1 and len(accept) == 1, (title, links)
            group = preview[0].split("/")[4]
            assert ids.is_group_id("mturk", group) and accept[0] == ids.accept_url("mturk", group)
            local = [url for url in links if url.startswith("/r/mturk/")]
            assert len(local) == 1, (title, links)
            assert ids.is_requester_id("mturk", local[0].rsplit("/", 1)[1])
            requester_pages.add(local[0])
        assert len(requester_pages) > 1
        for path in sorted(requester_pages)[:3]:  # the links lead to the requester's page
            answer = http.get(path)
            assert answer.status_code == 200 and "<h1" in answer.text, path


def test_hidden_tasks_sentence_says_neither_title_nor_reasons_again(live_server: LiveServer) -> None:
    with seeded(live_server) as http:
        page = http.get("/listen", params={"min_hourly": "1000"})
        assert page.status_code == 200, page.text
        hidden = HIDDEN.findall(page.text)
        assert len(hidden) == 27
        for summary, reasons, sentence in hidden:
            sentence = html.unescape(sentence)
            assert "Hidden because:" in reasons and "<li>" in reasons
            assert title_start(summary) not in sentence, (summary, sentence)
            assert "Hidden" not in sentence and "hidden" not in sentence, sentence
            assert "an hour" in sentence or "hourly pay unknown" in sentence
