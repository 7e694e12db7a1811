"""The safe-contact decision as a table: every instruction × every message kind (issue 16).

The rows name the instructions people actually give ("do not text", "email only — partner checks
the phone", "only via my support worker"); the expected column is written out, not computed, so
a change to the rules shows up here as a row that no longer matches. A second test walks every
combination of the structured fields and checks the rules that must hold whatever the table says.
"""

from __future__ import annotations

import itertools

import pytest

from frontcounter.services.core.appointments import ContactConsent
from frontcounter.services.messages.kinds import all_kinds
from frontcounter.services.messages.safe_contact import decide, why_not

KINDS = all_kinds((24, 2))
MUST = {"reschedule", "cancellation", "at_risk"}
NUM, MAIL = "07700 900123", "v@example.org"

#: instruction -> (consent, channel, to, reason or None, what the FCR does for MUST kinds or None)
TABLE: dict[str, tuple[ContactConsent, str | None, str | None, str | None, str | None]] = {
    "nothing agreed (the default)": (ContactConsent(), None, None,
                                     "the visitor has not agreed to texts or email", None),
    "texts ok": (ContactConsent(may_text=True, text_number=NUM), "sms", NUM, None, None),
    "do not text, email ok": (ContactConsent(may_email=True, email_address=MAIL), "email", MAIL, None, None),
    "texts and email ok: text first": (ContactConsent(may_text=True, may_email=True, text_number=NUM,
                                                      email_address=MAIL), "sms", NUM, None, None),
    "texts ok but no number": (ContactConsent(may_text=True), None, None,
                               "texts are allowed but no number is recorded for them", None),
    "texts ok without number, email ok": (ContactConsent(may_text=True, may_email=True, email_address=MAIL),
                                          "email", MAIL, None, None),
    "email ok but no address": (ContactConsent(may_email=True), None, None,
                                "email is allowed but no address is recorded for it", None),
    "a number, but texts not agreed": (ContactConsent(text_number=NUM, may_phone=True), None, None,
                                       "the visitor has not agreed to texts or email",
                                       "phone the visitor (do not leave a voicemail)"),
    "phone only, no voicemail": (ContactConsent(may_phone=True), None, None,
                                 "the visitor has not agreed to texts or email",
                                 "phone the visitor (do not leave a voicemail)"),
    "phone and voicemail": (ContactConsent(may_phone=True, may_voicemail=True), None, None,
                            "the visitor has not agreed to texts or email", "phone the visitor"),
    "only via person of choice": (ContactConsent(via_person_only=True), None, None,
                                  "the visitor asked to be contacted only via their person of choice",
                                  "contact the visitor's person of choice"),
    "person of choice overrides a stored number": (
        ContactConsent(via_person_only=True, may_text=True, text_number=NUM, may_email=True, email_address=MAIL),
        None, None, "the visitor asked to be contacted only via their person of choice",
        "contact the visitor's person of choice"),
}


@pytest.mark.parametrize(("instruction", "kind"), list(itertools.product(TABLE, KINDS)))
def test_the_table(instruction: str, kind: str) -> None:
    consent, channel, to, reason, instead = TABLE[instruction]
    decision = decide(consent, kind)
    assert (decision.channel, decision.to, decision.reason) == (channel, to, reason)
    assert decision.instead == (instead if kind in MUST and channel is None else None)


FLAGS = ("may_text", "may_email", "may_phone", "may_voicemail", "via_person_only")


@pytest.mark.parametrize("kind", KINDS)
def test_every_combination_keeps_the_rules(kind: str) -> None:
    for bits in itertools.product((False, True), repeat=len(FLAGS)):
        for number, address in itertools.product((None, NUM), (None, MAIL)):
            consent = ContactConsent(**dict(zip(FLAGS, bits, strict=True)), text_number=number,
                                     email_address=address)
            d = decide(consent, kind)
            if d.channel == "sms":  # a text only where texts were agreed, to the agreed number
                assert consent.may_text and d.to == number and not consent.via_person_only
            elif d.channel == "email":
                assert consent.may_email and d.to == address and not consent.via_person_only
                assert not (consent.may_text and number)  # a text is preferred when allowed
            else:
                assert d.to is None and d.reason and d.reason == why_not(consent)
            if consent.via_person_only:
                assert d.channel is None
            if d.instead and "phone the visitor" in d.instead:
                assert consent.may_phone
                assert ("voicemail" in d.instead) == (not consent.may_voicemail)
