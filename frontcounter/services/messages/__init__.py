"""Visitor messages (issue 16): confirmations, reminders, reschedule, cancellation and at-risk
notices by SMS and email through GOV.UK Notify, sent only as the visitor's safe-contact
instructions allow, once, from the centre.

- ``kinds``: the message kinds and when one is stale;
- ``safe_contact``: the pure decision, instruction × kind → channel or "not sent, because";
- ``personalisation``: the only fields a template ever receives;
- ``settings``: template ids, reminder offsets, the API key (keyring or environment only);
- ``notify``: the GOV.UK Notify client and its errors in words;
- ``worker``: ``frontcounter notify``, the one sender;
- ``history``: an appointment's messages, and the failures for the FCR to phone.

The outbox itself is written by ``services/core/visitor_messages`` in the transaction of the
change that causes a message.
"""
