"""Run a real cattle_grid 0.5.22 for the tests, in the current directory.

The directory must hold a cattle_grid.toml (written by the test: broker URL with its own
virtual host, a sqlite file, processor_in_app, the frontend base URL). This script creates the
database schema with SQLAlchemy (cattle_grid's alembic migrations do not run on sqlite), adds
one admin account, and serves the app with uvicorn until it is killed. Migrations are skipped
with create_app(run_migration=False), so no alembic run is needed.

With --auth-actor URL it first writes cattle_grid_auth.toml: the [auth] section cattle_grid's
signature check (/auth/auth) needs, an RSA key pair for its key-fetching actor URL (made with
bovine, as cattle_grid's own `auth new-config` does), no blocked domains.

    python serve.py --port PORT --account NAME --password SECRET [--auth-actor URL]
"""

import argparse
import asyncio
import logging
from urllib.parse import urlparse

logging.disable(logging.WARNING)


def write_auth_config(actor_id: str) -> None:
    """The [auth] settings, read by cattle_grid from cattle_grid_auth.toml at start."""
    import tomli_w
    from bovine.crypto import generate_rsa_public_private_key

    public_key, private_key = generate_rsa_public_private_key()
    auth = {
        "actor_id": actor_id,
        "actor_acct_id": f"acct:cattle_grid@{urlparse(actor_id).netloc}",
        "public_key": public_key,
        "private_key": private_key,
        "domain_blocks": [],
    }
    with open("cattle_grid_auth.toml", "wb") as file:
        tomli_w.dump({"auth": auth}, file, multiline_strings=True)



async def prepare(account: str, password: str) -> None:
    # Imported here: cattle_grid reads its settings files when first imported.
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from cattle_grid.account.account import create_account
    from cattle_grid.app import app_globals
    from cattle_grid.database import account as _account_tables  # noqa: F401  (registers tables)
    from cattle_grid.database import activity_pub_actor as _actor_tables  # noqa: F401
    from cattle_grid.database.activity_pub import Base as ActivityPubBase
    from cattle_grid.database.auth import Base as AuthBase

    engine = create_async_engine(app_globals.application_config.db_url)
    async with engine.begin() as connection:
        await connection.run_sync(AuthBase.metadata.create_all)
        await connection.run_sync(ActivityPubBase.metadata.create_all)
    async with async_sessionmaker(engine, expire_on_commit=False)() as session:
        await create_account(session, account, password, permissions=["admin"])
        await session.commit()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--account", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--auth-actor")
    args = parser.parse_args()
    if args.auth_actor:
        write_auth_config(args.auth_actor)
    asyncio.run(prepare(args.account, args.password))
    print("prepared", flush=True)
    import uvicorn
    from cattle_grid import create_app

    uvicorn.run(create_app(run_migration=False), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
