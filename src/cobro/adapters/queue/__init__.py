"""The send pipeline's distributed parts: the task engine (tasks.py, Dramatiq) and the per-number send rate
limiter shared by every worker (rate_limit.py, Redis or in-process).

Import from the modules themselves: a process that only limits need not load Dramatiq, nor one that only
publishes tasks load the Redis client.
"""
