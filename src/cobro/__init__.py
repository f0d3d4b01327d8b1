"""Cobro: open-source debt collection over WhatsApp."""

__version__ = "0.1.0"
