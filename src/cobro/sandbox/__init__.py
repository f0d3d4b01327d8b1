"""The WhatsApp Cloud API sandbox: a local stand-in for Meta's Graph API, with a debtor's phone in the browser.

It shares no code with `cobro.adapters.whatsapp`, so each catches the other's mistakes. See docs/sandbox.md.
"""
