"""Debtor conversations: what a message means (intents, entities), who the person proved to be, and the flows
that answer them. Standard library only."""
