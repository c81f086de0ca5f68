"""Kinds of work: a task's title (and keywords, when the platform gives them) -> one of a small fixed set.

Pure and deterministic, no I/O. Used by the work certificate (server/certificate/) to say what kinds of work
a worker did ("312 surveys and studies, 95 data labelling tasks"), so the set is small and the names are
words an employer understands.

How a title is matched (docs/certificate.md repeats the lists):
* the text is NFKC-normalised, case-folded, and `-`, `_`, `/` become spaces, so "Re-write" reads "re write"
  and "image_tagging" reads "image tagging"; then each rule's words are matched on word boundaries (a word
  never matches inside another: "tag" does not match "stage", "poll" does not match "pollution");
* `RULES` are tried in order and the first rule with a matching word decides. The order settles titles that
  name two kinds: "Survey about your writing habits" is a survey (surveys come first), "Transcribe data from
  receipts" is data entry (receipts come before transcription), "Record yourself reading sentences" is a
  recording, "Research study" is a study but "Web research" is web research;
* nothing matches: `other`.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

# The kinds, in the order they are listed to people, with their labels.
KINDS: dict[str, str] = {
    "surveys": "Surveys and studies",
    "transcription": "Transcription",
    "data_labelling": "Data labelling",
    "content_moderation": "Content moderation",
    "writing": "Writing and translation",
    "data_entry": "Data entry and web research",
    "recording": "Audio and video recording",
    "testing": "Testing and user research",
    "other": "Other",
}

# (kind, words): tried in this order; the first rule with a word in the title decides. A word is a regular
# expression matched on word boundaries; `\s+` joins the words of a phrase.
RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # A survey or questionnaire is one whatever it is about.
    ("surveys", (r"surveys?", r"questionnaires?", r"polls?", r"opinion\s+polls?")),
    ("recording", (r"record\s+(?:yourself|your\s+voice|your\s+face|audio|video|a\s+video|an\s+audio)",
                   r"(?:voice|audio|video|speech)\s+recordings?", r"recording\s+(?:of\s+)?(?:your\s+)?(?:voice|speech)",
                   r"read\s+(?:\w+\s+)?aloud", r"selfies?", r"utterances?", r"webcam\s+video", r"say\s+phrases?",
                   r"speak(?:ing)?\s+(?:\w+\s+)?(?:sentences?|phrases?|words?)", r"voice\s+samples?")),
    ("content_moderation", (r"moderat(?:e|ion|ing)", r"content\s+review", r"offensive", r"inappropriate",
                            r"nsfw", r"adult\s+content", r"hate\s+speech", r"toxic(?:ity)?", r"abusive",
                            r"harmful\s+content", r"spam\s+detection")),
    ("testing", (r"usability", r"user\s+(?:testing|tests?|research|experience|interviews?)", r"ux",
                 r"beta\s+test(?:ing)?",
                 r"test\s+(?:our|an?|the|this|my)\s+(?:\w+\s+){0,2}"
                 r"(?:app|apps|website|site|game|software|prototype|product)",
                 r"app\s+testing", r"website\s+testing", r"playtest(?:ing)?", r"prototypes?",
                 r"bug\s+(?:hunt|report)s?", r"interviews?", r"focus\s+groups?", r"diary\s+study")),
    # Receipts and business cards are typed in, even when the title says "transcribe".
    ("data_entry", (r"receipts?", r"business\s+cards?", r"invoices?")),
    ("transcription", (r"transcri(?:be|bes|bing|bed|ption|ptions|pt|pts)", r"captions?\s+(?:audio|video)",
                       r"subtitl(?:e|es|ing)", r"audio\s+to\s+text", r"speech\s+to\s+text",
                       r"type\s+what\s+you\s+hear")),
    ("writing", (r"writ(?:e|es|ing|ten)", r"re\s*writ(?:e|es|ing|ten)", r"rephras(?:e|ing)", r"paraphras(?:e|ing)",
                 r"summar(?:y|ies|ise|ize|ising|izing|isation|ization)", r"translat(?:e|es|ing|ion|ions)",
                 r"essays?", r"proofread(?:ing)?", r"copywriting", r"product\s+descriptions?",
                 r"short\s+stor(?:y|ies)", r"compose")),
    ("data_labelling", (r"tag(?:s|ging|ged)?", r"label(?:s|ling|ing|led|ed)?", r"annotat(?:e|es|ing|ion|ions|or)",
                        r"categori[sz](?:e|es|ing|ation|ations)", r"categor(?:y|ies)", r"classif(?:y|ies|ying|ication)",
                        r"bounding\s+box(?:es)?", r"draw\s+(?:a\s+)?box(?:es)?", r"polygons?", r"segmentation",
                        r"keypoints?", r"landmarks?", r"sentiment", r"relevance", r"judge(?:ment|ments)?",
                        r"rate\s+(?:the\s+)?(?:images?|photos?|pictures?|videos?|search\s+results?|responses?|answers?)",
                        r"image\s+(?:review|rating|matching)", r"identify\s+(?:the\s+)?(?:objects?|items?)",
                        r"is\s+this\s+(?:image|photo|picture)", r"which\s+(?:image|photo|picture)",
                        r"match(?:ing)?\s+(?:products?|images?)", r"verify\s+(?:the\s+)?(?:images?|labels?)")),
    ("data_entry", (r"data\s+entry", r"data\s+collection", r"web\s+research", r"internet\s+research",
                    r"find", r"finding", r"look\s+up", r"lookup", r"search(?:es|ing)?", r"copy(?:ing)?",
                    r"type\s+(?:in|the)", r"collect(?:ing)?", r"extract(?:ing|ion)?", r"urls?", r"websites?",
                    r"email\s+address(?:es)?", r"phone\s+numbers?", r"contact\s+(?:info|information|details)",
                    r"addresses", r"verify\s+(?:the\s+)?(?:address|information|data|business)")),
    # Prolific's studies and academic experiments: after everything more specific.
    ("surveys", (r"stud(?:y|ies)", r"experiments?", r"research", r"academic", r"psychology", r"opinions?",
                 r"decision\s*making", r"decisions?", r"attitudes?", r"perceptions?", r"your\s+views?",
                 r"tell\s+us", r"screener", r"quiz(?:zes)?", r"questions?")),
)

_COMPILED = tuple((kind, re.compile(r"(?<![\w])(?:" + "|".join(words) + r")(?![\w])")) for kind, words in RULES)
_SEPARATORS = re.compile(r"[-_/\\|·•:;,.!?()\[\]{}\"'“”‘’]+")
_SPACES = re.compile(r"\s+")

assert all(kind in KINDS for kind, _ in RULES), "every rule names a kind"


def normalise(text: str) -> str:
    """The text as rules see it: NFKC, case-folded, separators as spaces, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", folded)).strip()


def kind_of(title: str, keywords: Iterable[str] = ()) -> str:
    """The kind of work of a task: one key of `KINDS` (module docstring). Keywords are read after the title."""
    text = normalise(" ".join([title, *keywords]))
    for kind, pattern in _COMPILED:
        if pattern.search(text):
            return kind
    return "other"


def count_kinds(titles: Iterable[str]) -> list[tuple[str, int]]:
    """How many of `titles` are of each kind: kinds with at least one, most first (ties in `KINDS` order)."""
    counts = Counter(kind_of(title) for title in titles)
    order = {kind: position for position, kind in enumerate(KINDS)}
    return sorted(counts.items(), key=lambda pair: (-pair[1], order[pair[0]]))
