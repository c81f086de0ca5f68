"""Requester names follow what most sources say (server/domain/names.py), not whoever wrote first."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from server.domain.names import ANONYMOUS_WEIGHT, NameVote, chosen_name, clean_name, name_weights

T0 = datetime(2026, 12, 1, tzinfo=timezone.utc)


def signed(name: str, minutes: int = 0) -> NameVote:
    return NameVote(name=name, signed=True, seen_at=T0 + timedelta(minutes=minutes))


def anonymous(name: str, minutes: int = 0) -> NameVote:
    return NameVote(name=name, signed=False, seen_at=T0 + timedelta(minutes=minutes))


def test_the_first_writer_does_not_keep_the_name():
    votes = [anonymous("SCAM - DO NOT WORK FOR THEM", 0), signed("Shop Lab", 5), signed("Shop Lab", 6)]
    assert chosen_name(votes, current="SCAM - DO NOT WORK FOR THEM") == "Shop Lab"


def test_anonymous_pages_together_never_outvote_one_account():
    votes = [anonymous("Fake Name", day) for day in range(500)] + [signed("Shop Lab")]
    assert name_weights(votes)["Fake Name"] == ANONYMOUS_WEIGHT < 1.0
    assert chosen_name(votes) == "Shop Lab"


def test_anonymous_sightings_share_their_weight_by_days_seen():
    votes = [anonymous("Old Name", d) for d in range(3)] + [anonymous("New Name", 10)]
    weights = name_weights(votes)
    assert weights == {"Old Name": 0.375, "New Name": 0.125}
    assert chosen_name(votes, current="") == "Old Name"


def test_the_majority_of_accounts_wins_and_follows_a_rename():
    before = [signed("Acme Research", i) for i in range(3)] + [signed("Acme", 10)]
    assert chosen_name(before, current="Acme") == "Acme Research"
    after = [signed("Acme", 20 + i) for i in range(3)] + [signed("Acme Research", 1)]
    assert chosen_name(after, current="Acme Research") == "Acme"


def test_a_tie_keeps_the_shown_name_else_the_latest_then_the_alphabet():
    tie = [signed("Beta", 1), signed("Alpha", 2)]
    assert chosen_name(tie, current="Beta") == "Beta"
    assert chosen_name(tie, current="Gamma") == "Alpha"  # seen last
    same_time = [signed("Beta", 1), signed("Alpha", 1)]
    assert chosen_name(same_time) == chosen_name(list(reversed(same_time))) == "Alpha"


def test_names_compare_as_they_read_and_blank_is_no_vote():
    assert clean_name("  Shop\u00a0  Lab \n") == "Shop Lab"
    assert clean_name("Cafe\u0301") == "Caf\u00e9"  # NFC
    assert clean_name(None) == "" and clean_name("   ") == ""
    assert len(clean_name("x" * 500)) == 200
    votes = [signed("Shop  Lab"), signed("Shop Lab "), signed("   "), signed("Other")]
    assert name_weights(votes) == {"Shop Lab": 2.0, "Other": 1.0}
    assert chosen_name([], current=" Kept  Name ") == "Kept Name"
