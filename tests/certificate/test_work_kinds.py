"""server/domain/work_kinds.py: task titles -> kinds of work, with titles as MTurk and Prolific show them."""
from __future__ import annotations

import pytest

from server.domain.work_kinds import KINDS, RULES, count_kinds, kind_of, normalise

TITLES = [
    # Surveys and studies
    ("Short survey about your shopping habits (~5 minutes)", "surveys"),
    ("Answer a survey about your writing habits", "surveys"),  # a survey, whatever it is about
    ("Academic Questionnaire on Sleep Quality", "surveys"),
    ("A study about decision making", "surveys"),
    ("Research Study: Memory and Attention (15 min)", "surveys"),
    ("Psychology experiment – quick reaction times", "surveys"),
    ("Tell us your opinion about electric cars", "surveys"),
    ("Answer 10 questions about a news article", "surveys"),
    # Transcription
    ("Transcribe a 2 minute audio clip", "transcription"),
    ("Transcription of short English voice notes", "transcription"),
    ("Type what you hear (30 seconds)", "transcription"),
    ("Subtitle a short video", "transcription"),
    # Data labelling
    ("Image tagging: label the animals", "data_labelling"),
    ("Categorize the sentiment of tweets", "data_labelling"),
    ("Draw bounding boxes around cars", "data_labelling"),
    ("Annotate named entities in sentences", "data_labelling"),
    ("Classify product images into categories", "data_labelling"),
    ("Rate the search results for relevance", "data_labelling"),
    ("image_tagging_batch_42", "data_labelling"),
    # Content moderation
    ("Is this image offensive?", "content_moderation"),
    ("Content moderation: flag inappropriate posts", "content_moderation"),
    ("Find hate speech in comments", "content_moderation"),  # moderation before web research's "find"
    # Writing and translation
    ("Rewrite this sentence in simpler words", "writing"),
    ("Re-write a product description", "writing"),
    ("Summarise a news article in 2 sentences", "writing"),
    ("Translate short phrases from English to Spanish", "writing"),
    ("Write a short story (150 words)", "writing"),
    ("Paraphrase questions", "writing"),
    # Data entry and web research
    ("Transcribe data from receipts", "data_entry"),  # receipts before transcription
    ("Transcribe Business Cards", "data_entry"),
    ("Find the website of a company", "data_entry"),
    ("Web research: look up the email address of a dentist", "data_entry"),
    ("Copy text from a PDF", "data_entry"),
    ("Extract contact information from a page", "data_entry"),
    # Audio and video recording
    ("Record yourself reading 20 sentences", "recording"),
    ("Voice recording: say phrases in your accent", "recording"),
    ("Read aloud a short paragraph", "recording"),
    ("Take a selfie holding a card", "recording"),
    # Testing and user research
    ("Test our new mobile app", "testing"),
    ("Usability test of a banking website", "testing"),
    ("User research interview (30 min, video call)", "testing"),
    ("Beta testing for a puzzle game", "testing"),
    # Other
    ("Quick HIT", "other"),
    ("Follow the instructions in the link", "other"),
    ("", "other"),
]


@pytest.mark.parametrize(("title", "kind"), TITLES)
def test_titles(title, kind):
    assert kind_of(title) == kind


@pytest.mark.parametrize("title", ["Stage play tickets", "Pollution levels", "Taggart family tree", "Uxbridge map"])
def test_words_match_on_word_boundaries_only(title):
    # "tag" is not in "stage", "poll" not in "pollution", "ux" not in "Uxbridge".
    assert kind_of(title) == "other"


def test_keywords_count_after_the_title():
    assert kind_of("Quick HIT", ["image", "tagging"]) == "data_labelling"
    assert kind_of("Survey", ["tagging"]) == "surveys"


def test_normalise():
    assert normalise("  Re-Write_THIS/that ") == "re write this that"
    assert normalise("ＳＵＲＶＥＹ") == "survey"  # full-width letters read as ASCII (NFKC)


def test_every_rule_names_a_kind_and_every_kind_but_other_has_rules():
    assert {kind for kind, _ in RULES} == set(KINDS) - {"other"}


def test_count_kinds_most_first_ties_in_listed_order():
    titles = ["Survey A", "Survey B", "Tag images", "Transcribe audio", "Quick HIT"]
    assert count_kinds(titles) == [("surveys", 2), ("transcription", 1), ("data_labelling", 1), ("other", 1)]


def test_deterministic():
    assert [kind_of(title) for title, _ in TITLES] == [kind_of(title) for title, _ in TITLES]
