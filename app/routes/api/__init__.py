"""The REST API: the routers of users, tokens, submissions, teams, method cards, selection,
the leaderboard, phases, datasets and administration, gathered into the one `router` the app
mounts under /api/v1; `health` and `docs` (the API's docs pages) are mounted at the root.
"""

from __future__ import annotations

from fastapi import APIRouter

from app.routes.api import (
    admin,
    admin_datasets,
    admin_moderation,
    datasets,
    leaderboard,
    method_cards,
    phases,
    selection,
    submissions,
    teams,
    tokens,
    users,
)

router = APIRouter()
for module in (
    users,
    tokens,
    submissions,
    teams,
    method_cards,
    selection,
    leaderboard,
    phases,
    datasets,
    admin,
    admin_datasets,
    admin_moderation,
):
    router.include_router(module.router)
