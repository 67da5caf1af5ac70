"""Pick the job backend from the settings: embedded tasks, or dramatiq over Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fediverse.runtime import Runtime


class RunningBackend(Protocol):
    def notify(self, jobs: list) -> None: ...  # type: ignore[type-arg]
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def make_backend(rt: Runtime) -> RunningBackend:
    """The server's backend: embedded runs jobs here; dramatiq only rings workers (`fediverse worker`)."""
    if rt.settings.job_backend == "dramatiq":
        from fediverse.jobs.dramatiq_backend import DramatiqSender

        return DramatiqSender(rt)
    from fediverse.jobs.embedded import EmbeddedBackend

    return EmbeddedBackend(rt)
