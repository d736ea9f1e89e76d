"""`tomobench users`: create accounts and change roles from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from app.cli._common import data_dir_option, load_settings
from app.models import Role, User


@click.group()
def users() -> None:
    """Accounts: create, list, change role, reset a password."""


@users.command()
@click.argument("username")
@click.argument("email", required=False)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PARTICIPANT.value)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts).",
)
@data_dir_option
def create(
    username: str, email: str | None, role: str, password_stdin: bool, data_dir: Path | None
) -> None:
    """Create an account USERNAME with EMAIL (default USERNAME@localhost); the password is
    prompted for, hidden, unless --password-stdin."""
    from sqlalchemy.exc import DBAPIError

    from app.db import session_factory
    from app.services.errors import ServiceError
    from app.services.users import register_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        try:
            user = register_user(
                db,
                username,
                email or f"{username}@localhost",
                password,
                role=Role(role),
                privileged=True,  # the operator may use reserved names such as "organizers"
            )
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        except DBAPIError as error:
            raise click.ClickException(
                f"cannot use the database ({error.orig}); run `tomobench db upgrade` first"
            ) from error
        db.commit()
        click.echo(f"created {user.role} {user.username} (id {user.id})")


@users.command(name="list")
@data_dir_option
def list_users(data_dir: Path | None) -> None:
    """List accounts: id, username, role, e-mail."""
    from app.db import session_factory

    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        for user in db.scalars(select(User).order_by(User.id)):
            click.echo(f"{user.id}\t{user.username}\t{user.role}\t{user.email}")


@users.command(name="set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@data_dir_option
def set_role_command(username: str, role: str, data_dir: Path | None) -> None:
    """Give USERNAME the ROLE participant, organizer or admin."""
    from app.db import session_factory
    from app.services.errors import ServiceError
    from app.services.users import set_role

    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        try:
            set_role(db, user, Role(role))
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        db.commit()
        click.echo(f"{username} is now {role}")


@users.command(name="reset-password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input instead of generating one.",
)
@data_dir_option
def reset_password_command(username: str, password_stdin: bool, data_dir: Path | None) -> None:
    """Give USERNAME a new password and end all its sessions and API tokens. Without
    --password-stdin a random one is generated and printed once, to hand over to its owner
    (who should change it on the account page)."""
    from app.db import session_factory
    from app.services.errors import ServiceError
    from app.services.users import reset_password

    given = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        user = db.scalar(select(User).where(User.username == username))
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        try:
            password = reset_password(db, user, given)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        db.commit()
    if given is None:
        click.echo(
            f"new password for {username}: {password}\n(shown only this once; all sessions "
            "and API tokens of the account were ended)"
        )
    else:
        click.echo(f"password of {username} reset; all its sessions and API tokens were ended")
