"""The planner, run continuously inside the server: every `plan_every_seconds` it plans every account.

Planning is idempotent (one decision per account, stage and local day), so two servers planning at once,
or a restart mid-run, store nothing twice. Runs on a worker thread so requests are never held up.
"""

from __future__ import annotations

import asyncio

import anyio
import structlog

from cobro.bootstrap import Container

_log = structlog.get_logger("cobro.scheduler")


def plan_once(container: Container) -> None:
    """Plans every account now and stores the new decisions, then runs the conversations' follow-ups
    (broken promises, instalment reminders, missed instalments)."""
    from cobro.app.plan_contacts import plan_contacts
    from cobro.entrypoints.planning import planning_policy_with

    policy = planning_policy_with(container.uow_factory, waba_id=container.settings.whatsapp_waba_id)
    summary = plan_contacts(container.uow_factory, container.clock, policy)
    _log.info("plan_run", accounts=summary.accounts, stored=summary.stored, **dict(summary.actions))
    if container.settings.bot_enabled:
        from cobro.app.conversation.jobs import run_conversation_jobs

        jobs = run_conversation_jobs(container.uow_factory, container.clock, container.bot)
        _log.info(
            "conversation_jobs",
            promises_broken=jobs.promises_broken,
            instalments_reminded=jobs.instalments_reminded,
            instalments_missed=jobs.instalments_missed,
        )


async def plan_periodically(container: Container, every: float) -> None:
    """Plans at start and then every `every` seconds until cancelled; a failed run is logged and retried."""
    while True:
        try:
            await anyio.to_thread.run_sync(plan_once, container)
        except Exception as exc:  # the next run retries; the server must keep serving
            _log.error("plan_run_failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        await asyncio.sleep(every)
