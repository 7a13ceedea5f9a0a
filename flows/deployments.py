"""The deployments `congress serve` serves, and the launcher through which the dashboard starts runs.

DEPLOYMENTS is a list of factories; an area adds its own deployment (e.g. a scheduled sweeper) by
appending one factory. The dashboard only ever creates flow runs through a deployment: the work runs
in the runner's processes, never in a web request.

    python -m flows.deployments [--poll-seconds N]    # serve every deployment (what `congress serve` runs)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from uuid import UUID

from congress.web.launcher import RunInfo
from congress.web.service import ServiceStatus

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

SESSION_DEPLOYMENT_NAME = "dashboard"
SESSION_DEPLOYMENT = f"session/{SESSION_DEPLOYMENT_NAME}"  # <flow name>/<deployment name>
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def session_deployment() -> RunnerDeployment:
    """The parent session flow, started (and continued, and retried) from the dashboard."""
    from prefect.deployments.runner import EntrypointType

    from flows.session import advance_session

    return advance_session.to_deployment(
        name=SESSION_DEPLOYMENT_NAME,
        description="Advance one session to its next human gate or its end (started from the dashboard).",
        tags=["congress", "dashboard"],
        # a module path, not a file path: the runner finds the flow wherever the package is installed
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


# Append a factory to add a deployment to `congress serve`.
def _sweeper_deployment() -> RunnerDeployment:
    """The daily follow-up sweep (flows/followup.py), 08:00 Asia/Shanghai."""
    from flows.followup import sweeper_deployment

    return sweeper_deployment()


DEPLOYMENTS: list[Callable[[], RunnerDeployment]] = [session_deployment, _sweeper_deployment]


def build_deployments() -> list[RunnerDeployment]:
    return [make() for make in DEPLOYMENTS]


def register(pool: str) -> list[str]:
    """Create the process work pool `pool` if missing and register every deployment to it; their names.

    What `congress deployments register` runs once per city (and again after an upgrade): the workers
    (`congress worker --pool POOL`) then run the flows, and dashboards started with --no-runner launch them.
    """
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    with get_client(sync_client=True) as client:
        try:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        except ObjectAlreadyExists:
            pass
    names = []
    for deployment in build_deployments():
        deployment.apply(work_pool_name=pool)
        names.append(deployment.full_name)
    return names


def serve_deployments(poll_seconds: float = 5.0) -> None:
    """Serve every deployment until interrupted; each flow run executes in a subprocess of this runner.

    Waits for the API first (`congress serve` starts this runner while the Prefect server is still
    starting: importing Prefect and the flows overlaps with the server's start).
    """
    from prefect import serve

    api = os.environ.get("PREFECT_API_URL")
    if api and not _answers(f"{api.rstrip('/')}/health", float(os.environ.get("CONGRESS_RUNNER_API_WAIT", "120"))):
        raise SystemExit(f"no Prefect API at {api}")
    serve(*build_deployments(), query_seconds=poll_seconds, print_starting_message=False)


def _answers(url: str, seconds: float) -> bool:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


class PrefectLauncher:
    """Creates flow runs of the session deployment on the Prefect API named by PREFECT_API_URL.

    `status` is the flow service's health as `congress serve` supervises it; without one (tests against
    the harness) the service counts as up.
    """

    def __init__(self, deployment: str = SESSION_DEPLOYMENT, status: ServiceStatus | None = None):
        self.deployment = deployment
        self.status = status

    def available(self) -> bool:
        return self.status is None or self.status.up()

    def launch(self, *, session_key: str, actor: str, idempotency_key: str, trigger: str = "start") -> str:
        from prefect.deployments import run_deployment

        from flows.session import run_name_for

        # named from the start (not a random "independent-bull" until the engine renames it)
        run = run_deployment(name=self.deployment, parameters={"session_key": session_key, "actor": actor,
                                                               "trigger": trigger},
                             flow_run_name=run_name_for(session_key, trigger), timeout=0,
                             idempotency_key=idempotency_key, as_subflow=False,
                             tags=["congress", f"session-{session_key}"],
                             _sync=True)  # also when called from an async route: a flow run, not a coroutine
        return str(run.id)

    def run(self, flow_run_id: str) -> RunInfo | None:
        from prefect import get_client
        from prefect.exceptions import ObjectNotFound

        with get_client(sync_client=True) as client:
            try:
                run = client.read_flow_run(UUID(flow_run_id))
            except ObjectNotFound:
                return None
        state_type = run.state.type.value if run.state else "PENDING"
        return RunInfo(id=flow_run_id, name=run.name, state=state_type,
                       state_name=run.state.name if run.state else "Pending", terminal=state_type in TERMINAL,
                       url=self.run_url(flow_run_id))

    def run_url(self, flow_run_id: str) -> str | None:
        from prefect.settings import PREFECT_UI_URL

        ui: Any = PREFECT_UI_URL.value()
        return f"{str(ui).rstrip('/')}/runs/flow-run/{flow_run_id}" if ui else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll-seconds", type=float, default=5.0, help="How often the runner asks for new runs.")
    serve_deployments(parser.parse_args().poll_seconds)


if __name__ == "__main__":
    main()
