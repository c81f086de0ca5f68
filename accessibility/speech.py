"""Speech wording: one short sentence per task, most decisive facts first, written for the ear.

Pure functions, no I/O. The /listen page, /api/v1/speech and the audio files all speak through here.
"""
from __future__ import annotations

import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

import msgspec


class SpokenTask(msgspec.Struct, kw_only=True):
    """What a spoken summary may say about one task (built from an annotation by server/listen/items.py)."""

    title: str
    requester_name: str
    reward_cents: int
    currency: str = "USD"
    duration_seconds: float | None = None  # estimated (measured, or stated by the requester)
    cents_per_hour: float | None = None
    band: str = "unknown"  # good | ok | low | avoid | unknown
    basis: str = "unknown"  # task | requester | stated | unknown
    n: int = 0  # samples behind the hourly figure
    accounts: int = 0  # … from how many accounts (0: not known)
    without_bonus_cents_per_hour: float | None = None  # set when cents_per_hour counts typical bonuses
    reviews: int = 0
    approval_seconds: float | None = None  # the requester's median time to approve
    rejections: int = 0
    blocks: int = 0
    flags: list[str] = []  # review flags of the task and its requester
    hidden_reasons: list[str] = []  # why the worker's filters hide it (empty: shown)
    available: int | None = None  # tasks left in the group


# --- numbers, money, time ---------------------------------------------------------------------------------

# Currencies with spoken unit names: (major singular, major plural, minor singular, minor plural).
_UNITS: dict[str, tuple[str, str, str, str]] = {
    "USD": ("dollar", "dollars", "cent", "cents"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "EUR": ("euro", "euros", "euro cent", "euro cents"),
}
# Codes for_the_ear recognises after an amount ("2.00 CAD", as server/domain/money.py writes other currencies).
_CODES = frozenset(
    "USD GBP EUR CAD AUD NZD CHF JPY CNY INR BRL MXN SEK NOK DKK PLN CZK HUF RON ZAR SGD HKD KRW PHP IDR "
    "MYR THB TRY ILS AED NGN KES EGP ARS CLP COP PEN UAH VND PKR BDT".split()
)


def _half_up(value: float | int | Decimal) -> int:
    """Round half away from zero to a whole number (as server/domain/money.py does)."""
    return int(Decimal(str(value)).to_integral_value(rounding=ROUND_HALF_UP))


def _finite(value: float | None) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _plural(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def say_money(cents: int, currency: str = "USD") -> str:
    """An amount in minor units for the ear: 50 -> "50 cents", 750 -> "7 dollars 50", 705 -> "7 dollars 5 cents".

    GBP says pounds and pence, EUR euros and euro cents; other currencies say the number and spell the code
    ("12 point 34 C A D"). Negative amounts start with "minus". Raises ValueError for NaN and infinities.
    """
    if isinstance(cents, float) and not math.isfinite(cents):
        raise ValueError(f"cannot say a non-finite amount: {cents!r}")
    whole = _half_up(cents)
    sign = "minus " if whole < 0 else ""
    units, minor = divmod(abs(whole), 100)
    code = "".join(ch for ch in str(currency).strip().upper() if ch.isascii() and ch.isalnum())
    names = _UNITS.get(code)
    if names is not None:
        major_one, major_many, minor_one, minor_many = names
        if units == 0:
            return sign + _plural(minor, minor_one, minor_many)
        spoken = _plural(units, major_one, major_many)
        if minor == 0:
            return sign + spoken
        if minor < 10:  # "7 dollars 5" would be heard as 7.50
            return f"{sign}{spoken} {_plural(minor, minor_one, minor_many)}"
        return f"{sign}{spoken} {minor}"
    number = str(units) if minor == 0 else f"{units} point {minor}" if minor >= 10 else f"{units} point 0 {minor}"
    spelled = " ".join(code)
    return f"{sign}{number} {spelled}" if spelled else sign + number


def say_hourly(cents_per_hour: float | None, currency: str = "USD") -> str:
    """750.4 -> "7 dollars 50 an hour" (rounded to whole cents); None (or NaN) -> "unknown hourly pay"."""
    rate = _finite(cents_per_hour)
    if rate is None:
        return "unknown hourly pay"
    return f"{say_money(_half_up(rate), currency)} an hour"


def say_duration(seconds: float | None) -> str:
    """"under a minute", "about 4 minutes", "about 1 hour 10 minutes" (to 5 minutes above an hour), "unknown time"."""
    value = _finite(seconds)
    if value is None or value < 0:
        return "unknown time"
    if value < 60:
        return "under a minute"
    minutes = _half_up(value / 60)
    if minutes < 60:
        return f"about {_plural(minutes, 'minute', 'minutes')}"
    hours, rest = divmod(_half_up(value / 300) * 5, 60)
    spoken = _plural(hours, "hour", "hours")
    return f"about {spoken} {_plural(rest, 'minute', 'minutes')}" if rest else f"about {spoken}"


def say_count(n: int, noun: str, plural: str | None = None) -> str:
    """(0, "review") -> "no reviews"; (1, "review") -> "1 review"; (3, "review") -> "3 reviews"."""
    many = plural if plural is not None else noun + "s"
    if n <= 0:
        return f"no {many}"
    return _plural(n, noun, many)


def say_approval(seconds: float | None) -> str:
    """The requester's approval speed: "approves within an hour", "approves in about 5 hours",
    "approves in about a day", "approves in about 3 days"; "" when unknown."""
    value = _finite(seconds)
    if value is None or value < 0:
        return ""
    if value <= 3600:
        return "approves within an hour"
    hours = _half_up(value / 3600)
    if hours < 18:
        return "approves in about an hour" if hours <= 1 else f"approves in about {hours} hours"
    days = _half_up(value / 86400)
    return "approves in about a day" if days <= 1 else f"approves in about {days} days"


# --- flags ------------------------------------------------------------------------------------------------

FLAG_WORDS: dict[str, str] = {
    "underpaid": "reported as underpaid",
    "broken": "reported as broken",
    "unpaid_screener": "has an unpaid screener",
    "attention_checks": "has attention checks",
    "personal_data": "asks for personal data",
    "download_or_install": "asks you to download or install something",
    "webcam_or_phone": "needs a webcam or phone",
    "writing_required": "requires writing",
    "timer_too_short": "time limit reported too short",
    "adult_content": "has adult content",
    "screen_reader_ok": "works with a screen reader",
    "needs_sight": "needs sight",
    "needs_hearing": "needs hearing",
    "unextendable_time_limit": "has a time limit that cannot be extended",
    "captcha": "has a captcha",
}
# Spoken order: what makes a task one to avoid first, then the vocabulary order, unknown flags last.
_FLAG_ORDER = ("broken", "personal_data", *FLAG_WORDS)


def _flag_phrases(flags: list[str]) -> list[str]:
    names = list(dict.fromkeys(flag.strip() for flag in flags if isinstance(flag, str) and flag.strip()))
    rank = {name: i for i, name in reversed(list(enumerate(_FLAG_ORDER)))}
    names.sort(key=lambda name: rank.get(name, len(rank)))
    phrases = [FLAG_WORDS.get(name) or for_the_ear(name.replace("_", " ")) for name in names]
    return [phrase for phrase in phrases if phrase]


# --- text written for the eye -----------------------------------------------------------------------------

_SYMBOLS = "$£€/~&#%<>*"
_CURRENCY_BY_SYMBOL = {"$": "USD", "£": "GBP", "€": "EUR"}
_PER = r"(?:\s?/\s?|\s+per\s+|\s+an?\s+)"
_RATE_UNITS = {"h": "an hour", "hr": "an hour", "hrs": "an hour", "hour": "an hour", "min": "a minute", "minute": "a minute"}
_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?"
_SYMBOL_MONEY = re.compile(
    r"(?<![\w.])(-\s?)?([$£€])\s?" + _NUMBER + r"(?!\d)(?:" + _PER + r"(hour|hrs|hr|h|minute|min)\b)?", re.IGNORECASE
)
_CODE_MONEY = re.compile(
    r"(?<![\w.,])(-)?(\d{1,3}(?:,\d{3})+|\d+)\.(\d{2})\s(" + "|".join(sorted(_CODES)) + r")\b"
    r"(?:" + _PER + r"(hour|hrs|hr|h|minute|min)\b)?"
)
_CENTS_SIGN = re.compile(r"(?<![\w.])(\d+)\s?¢")
_URL = re.compile(r"\b(?:https?://|www\.)([^\s/?#<>\"']+)[^\s<>\"']*", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")
_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\be\.\s?g\b\.?", re.IGNORECASE), "for example"),
    (re.compile(r"\bi\.\s?e\b\.?", re.IGNORECASE), "that is"),
    (re.compile(r"\bapprox\b\.?", re.IGNORECASE), "about"),
    (re.compile(r"\bvs\b\.?", re.IGNORECASE), "versus"),
    (re.compile(r"\bw/o\b", re.IGNORECASE), "without"),
    (re.compile(r"\bw/\s?", re.IGNORECASE), "with "),
    (re.compile(r"\bHITs\b"), "tasks"),
    (re.compile(r"\bHIT\b"), "task"),
    (re.compile(r"\b(part|step|question|batch|round|page|section|task)\s+(\d+)\s?/\s?(\d+)\b", re.IGNORECASE),
     r"\1 \2 of \3"),
    (re.compile(r"(\d+)\s?min(?:ute)? limit\b"), r"\1 minute limit"),
    (re.compile(r"\b1\s?(?:mins?|minutes)\b"), "1 minute"),
    (re.compile(r"(\d+)\s?mins?\b"), r"\1 minutes"),
    (re.compile(r"\b1\s?(?:secs?|seconds)\b"), "1 second"),
    (re.compile(r"(\d+)\s?secs?\b"), r"\1 seconds"),
    (re.compile(r"\b1\s?(?:hrs?|hours)\b"), "1 hour"),
    (re.compile(r"(\d+)\s?hrs?\b"), r"\1 hours"),
    (re.compile(r"~\s*(?=[\d.])"), "about "),
    (re.compile(r"<\s*(?=\d)"), "under "),
    (re.compile(r">\s*(?=\d)"), "over "),
    (re.compile(r"#\s?(?=\d)"), "number "),
    (re.compile(r"\s?%"), " percent"),
    (re.compile(r"\s?&\s?"), " and "),
    (re.compile(r"\.{3,}|…"), " "),
    (re.compile(r"[|_\\^`]"), " "),
]


def _minor(digits: str | None) -> int:
    if not digits:
        return 0
    # "$0.5" is 50 cents, "$0.125" rounds to 13.
    return _half_up(Decimal("0." + digits) * 100)


def _say_rate(spoken: str, unit: str | None) -> str:
    if not unit:
        return spoken
    return f"{spoken} {_RATE_UNITS[unit.lower()]}"


def _symbol_money(match: re.Match[str]) -> str:
    minus, symbol, units, minor, unit = match.groups()
    cents = int(units.replace(",", "")) * 100 + _minor(minor)
    return _say_rate(say_money(-cents if minus else cents, _CURRENCY_BY_SYMBOL[symbol]), unit)


def _code_money(match: re.Match[str]) -> str:
    minus, units, minor, code, unit = match.groups()
    cents = int(units.replace(",", "")) * 100 + int(minor)
    return _say_rate(say_money(-cents if minus else cents, code), unit)


def _url(match: re.Match[str]) -> str:
    host = match.group(1).lower().removeprefix("www.")
    host = re.sub(r"[^a-z0-9.-]", "", host).strip(".-")
    return f"a link to {host}" if host else "a link"


def for_the_ear(text: str) -> str:
    """Text written for the eye (titles, requester names, filter reasons) rewritten for a speech synthesizer.

    Money ("$2.76/h" -> "2 dollars 76 an hour", "2.00 CAD"), "~ 10 min" -> "about 10 minutes", "&" -> "and",
    "%" -> "percent", "#3" -> "number 3", "e.g.", "i.e.", "approx.", "w/", "HIT", URLs ("a link to example.com"),
    HTML tags and ellipses. Whatever is left of $ £ € / ~ & # % < > * becomes a space: symbols are noise to the ear.
    Conservative: ordinary words and punctuation pass through.
    """
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVALID.sub(" ", text)
    text = _URL.sub(_url, text)
    text = _TAG.sub(" ", text)
    text = _SYMBOL_MONEY.sub(_symbol_money, text)
    text = _CODE_MONEY.sub(_code_money, text)
    text = _CENTS_SIGN.sub(lambda m: say_money(int(m.group(1))), text)
    for pattern, replacement in _WORDS:
        text = pattern.sub(replacement, text)
    text = text.replace("¢", " ")
    text = re.sub("[" + re.escape(_SYMBOLS) + "]", " ", text)
    text = " ".join(text.split())
    text = re.sub(r"\s+([,.;:!?)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", "", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return " ".join(text.split()).strip(" ,;:")


# --- one task, a list -------------------------------------------------------------------------------------

VERBOSITIES = ("short", "normal", "full")
TITLE_WORDS = 12
_BAND_WORDS = {"good": "good", "ok": "okay", "low": "low", "avoid": "avoid"}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;:-–—")
    if not text:
        return ""
    return _cap(text) if text[-1] in ".!?" else _cap(text) + "."


def _title(title: str) -> str:
    words = for_the_ear(title).split()
    if len(words) > TITLE_WORDS:
        words = words[:TITLE_WORDS]
    spoken = " ".join(words).rstrip(",;:-–—(")
    if not any(ch.isalnum() for ch in spoken):
        return "Untitled task."
    return _sentence(spoken)


def _pay(task: SpokenTask, verbosity: str) -> str:
    rate = _finite(task.cents_per_hour)
    if rate is None:
        hourly = ["hourly pay unknown"] + (["avoid"] if task.band == "avoid" else [])
    else:
        # A figure resting only on the requester's statement is said as their claim.
        claim = "the requester claims " if task.basis == "stated" else ""
        hourly = [claim + say_hourly(rate, task.currency)]
        without = _finite(task.without_bonus_cents_per_hour)
        if without is not None:
            hourly[0] += f" with typical bonuses, {say_hourly(without, task.currency)} without"
        if task.band in _BAND_WORDS:
            hourly.append(_BAND_WORDS[task.band])
    if verbosity == "short":
        return _sentence(", ".join(hourly))
    if task.basis == "stated":
        hourly += [] if rate is not None else ["the requester's claim"]
    elif task.basis == "unknown" or rate is None:
        hourly.append("no timings yet")
    elif task.n > 0 and task.accounts > 0 and (verbosity == "full" or task.accounts == 1):
        # What it rests on: always when that is one account's word, else in full.
        rests = say_count(task.n, "timing") + ("" if task.n == 1 else f" from {say_count(task.accounts, 'account')}")
        hourly.append(rests + (" of the requester's other tasks" if task.basis == "requester" else ""))
    elif verbosity == "full" and task.n > 0:
        timed = f"timed by {say_count(task.n, 'worker')}"
        hourly.append(timed + (" on the requester's other tasks" if task.basis == "requester" else ""))
    lead = []
    duration = _finite(task.duration_seconds)
    if duration is not None and duration >= 0:
        lead.append(say_duration(task.duration_seconds))
    lead.append(f"pays {say_money(task.reward_cents, task.currency)}")
    joiner = ": " if rate is not None else ", "
    return _sentence(", ".join(lead) + joiner + ", ".join(hourly))


def _name(task: SpokenTask) -> str:
    return for_the_ear(task.requester_name) or "without a name"


def _requester(task: SpokenTask, verbosity: str) -> str:
    rejections, blocks, reviews = max(0, task.rejections), max(0, task.blocks), max(0, task.reviews)
    approval = say_approval(task.approval_seconds)
    facts = []
    if verbosity == "full" and reviews:
        facts.append(say_count(reviews, "review"))
    if approval:
        facts.append(approval)
    if rejections or blocks:
        reported = [say_count(n, noun) for n, noun in ((rejections, "rejection"), (blocks, "block")) if n]
        facts.append(" and ".join(reported) + " reported")
    elif reviews:
        facts.append("no rejections reported")
    elif approval:
        facts.append("no reviews yet")
    else:
        return _sentence(f"Requester {_name(task)} has no reviews yet" if verbosity == "full" else "Requester has no reviews yet")
    if verbosity == "full":
        return _sentence(f"Requester {_name(task)}, " + ", ".join(facts))
    if approval:
        return _sentence("Requester " + ", ".join(facts))
    return _sentence(", ".join(facts))


def task_sentence(task: SpokenTask, verbosity: str = "normal", *, titled: bool = True) -> str:
    """One task for the ear, most decisive facts first.

    `titled=False` leaves the title out, for a page where the task's heading already says it (a screen reader
    reads the heading, then this sentence: the title twice is noise).

    "short": title, hourly pay and band, flags; "normal" adds duration, reward, the basis of an unmeasured
    estimate and the requester's approval speed, rejections and blocks; "full" adds the requester's name,
    review count, how many workers timed it and tasks available. Hidden tasks end with "Hidden: <reasons>."
    Raises ValueError for an unknown verbosity.
    """
    if verbosity not in VERBOSITIES:
        raise ValueError(f"verbosity must be one of {', '.join(VERBOSITIES)}, not {verbosity!r}")
    parts = [_title(task.title) if titled else "", _pay(task, verbosity)]
    if verbosity != "short":
        parts.append(_requester(task, verbosity))
    flags = _flag_phrases(task.flags)
    if flags:
        parts.append(_sentence(", ".join(flags)))
    if verbosity == "full" and task.available is not None:
        parts.append(_sentence(f"{say_count(task.available, 'task')} available"))
    reasons = [for_the_ear(reason).rstrip(".") for reason in task.hidden_reasons if isinstance(reason, str)]
    reasons = [reason for reason in reasons if reason]
    if task.hidden_reasons:
        parts.append(_sentence("Hidden: " + "; ".join(reasons)) if reasons else "Hidden by your filters.")
    return " ".join(part for part in parts if part)


def list_script(tasks: list[SpokenTask], verbosity: str = "normal", hidden_count: int = 0) -> list[str]:
    """["12 tasks, best paid first. 3 more hidden by your filters.", "Task 1. <sentence>", ...]."""
    if verbosity not in VERBOSITIES:
        raise ValueError(f"verbosity must be one of {', '.join(VERBOSITIES)}, not {verbosity!r}")
    if not tasks:
        opening = "No tasks match your filters."
        if hidden_count > 0:
            opening += f" {hidden_count} hidden by your filters."
    else:
        opening = f"{say_count(len(tasks), 'task')}, best paid first." if len(tasks) > 1 else "1 task."
        if hidden_count > 0:
            opening += f" {hidden_count} more hidden by your filters."
    return [opening] + [f"Task {i}. {task_sentence(task, verbosity)}" for i, task in enumerate(tasks, 1)]


# --- output -----------------------------------------------------------------------------------------------

SSML_NAMESPACE = "http://www.w3.org/2001/10/synthesis"
MIN_RATE, MAX_RATE = 50, 400
BASE_WPM, MIN_WPM, MAX_WPM = 175, 80, 450
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def to_text(sentences: list[str]) -> str:
    """One sentence (a task) per line."""
    return "\n".join(sentences)


def _xml_text(text: str) -> str:
    return escape(_XML_INVALID.sub(" ", text), {'"': "&quot;", "'": "&apos;"})


def to_ssml(sentences: list[str], rate: int = 100) -> str:
    """SSML 1.1: each item a <p> of <s> sentences, a 300 ms <break/> between items, <prosody rate="N%"> when
    rate is not 100. All text XML-escaped. Raises ValueError for a rate outside 50..400."""
    if isinstance(rate, bool) or not isinstance(rate, int) or not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError(f"rate must be a whole percent between {MIN_RATE} and {MAX_RATE}, not {rate!r}")
    paragraphs = []
    for item in sentences:
        parts = [part for part in _SENTENCE_END.split(" ".join(item.split())) if part]
        if parts:
            paragraphs.append("<p>" + "".join(f"<s>{_xml_text(part)}</s>" for part in parts) + "</p>")
    body = '<break time="300ms"/>'.join(paragraphs)
    if rate != 100:
        body = f'<prosody rate="{rate}%">{body}</prosody>'
    return (
        '<?xml version="1.0"?>\n'
        f'<speak version="1.1" xmlns="{SSML_NAMESPACE}" xml:lang="en-US">{body}</speak>'
    )


def words_per_minute(rate: int) -> int:
    """espeak-ng's -s (words per minute) for a rate in percent of its default 175 wpm, within 80..450."""
    return max(MIN_WPM, min(MAX_WPM, _half_up(BASE_WPM * rate / 100)))
