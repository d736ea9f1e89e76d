"""The team page lists the invitations the team has sent (who, by whom, when) and a member
can withdraw one; the report page links to the submission's method card when it has one."""

from __future__ import annotations

import re
import uuid

from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.models import Role
from tests.app.pages_support import PASSWORD, csrf_from, register_in_browser
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, register, upload

WITHDRAW = re.compile(r'action="(/team/\d+/invites/\d+/withdraw)"')


def _post(client: TestClient, path: str, **fields: str) -> int:
    data = {"csrf_token": csrf_from(client, "/team"), **fields}
    return client.post(path, data=data, follow_redirects=False).status_code


def test_member_sees_and_withdraws_sent_invitations(fresh_settings: Settings) -> None:
    with TestClient(create_app(fresh_settings)) as client:
        invitee = register_in_browser(client)
        client.cookies.clear()
        inviter = register_in_browser(client)
        assert _post(client, "/team", name="Withdrawers") == 303
        team_page = client.get("/team").text
        assert 'id="sent-invitations"' not in team_page  # nothing sent yet
        invite_path = re.search(r'action="(/team/\d+/invite)"', team_page)
        assert invite_path is not None
        assert _post(client, invite_path.group(1), username=invitee) == 303

        team_page = client.get("/team").text
        sent = team_page.split('id="sent-invitations"')[1].split("</ul>")[0]
        assert invitee in sent
        assert f"by {inviter}" in sent
        assert re.search(r"on \d{4}-\d\d-\d\d \d\d:\d\d UTC", sent)
        withdraw = WITHDRAW.search(sent)
        assert withdraw is not None

        mine = dict(client.cookies)
        client.cookies.clear()
        register_in_browser(client)  # not a member of the team
        assert _post(client, withdraw.group(1)) == 403
        client.cookies.clear()
        client.cookies.update(mine)
        assert 'id="sent-invitations"' in client.get("/team").text

        assert _post(client, withdraw.group(1)) == 303
        assert "is withdrawn" in client.get("/team").text
        assert 'id="sent-invitations"' not in client.get("/team").text
        assert _post(client, withdraw.group(1)) == 404  # gone: nothing left to withdraw

        client.cookies.clear()
        login = client.post(
            "/login",
            data={
                "csrf_token": csrf_from(client, "/login"),
                "username": invitee,
                "password": PASSWORD,
            },
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text
        assert "Withdrawers" not in client.get("/team").text  # no invitation to answer


def test_report_page_links_to_the_method_card(fresh_settings: Settings) -> None:
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        owner = new_user(fresh_settings)
        with_card = upload(client, owner, GOOD_SUBMISSION, method="Carded").json()["id"]
        without = upload(client, owner, GOOD_SUBMISSION, method="Bare").json()["id"]
        card = client.post(
            "/api/v1/method-cards",
            headers=owner,
            json={"method": "Carded", "authors": "A. Author", "description": "spheres"},
        )
        assert card.status_code == 201, card.text
        link = f'href="/methods/{card.json()["id"]}"'
        for viewer in (owner, new_user(fresh_settings, Role.ORGANIZER)):
            page = client.get(f"/submissions/{with_card}", headers=viewer).text
            facts = page.split('id="method-card"')[1].split("</dd>")[0]
            assert link in facts
        bare = client.get(f"/submissions/{without}", headers=owner).text
        assert "/methods/" not in bare.split('id="method-card"')[1].split("</dd>")[0]


def test_member_withdraws_an_invitation_through_the_api(fresh_client: TestClient) -> None:
    client = fresh_client
    member, outsider = register(client), register(client)
    invitee_name = f"invitee-{uuid.uuid4().hex[:8]}"
    invitee = register(client, invitee_name)
    team = client.post("/api/v1/teams", headers=member, json={"name": "API withdrawers"})
    assert team.status_code == 201, team.text
    team_id = team.json()["id"]
    invite = client.post(
        f"/api/v1/teams/{team_id}/members", headers=member, json={"username": invitee_name}
    )
    assert invite.status_code == 201, invite.text
    path = f"/api/v1/teams/{team_id}/invites/{invite.json()['id']}"
    assert client.delete(path, headers=outsider).status_code == 403
    assert len(client.get("/api/v1/teams/mine", headers=invitee).json()["invites"]) == 1
    assert client.delete(path, headers=member).status_code == 204
    assert client.get("/api/v1/teams/mine", headers=invitee).json()["invites"] == []
    assert client.delete(path, headers=member).status_code == 404
    assert client.post(f"/api/v1/teams/{team_id}/join", headers=invitee).status_code == 403
