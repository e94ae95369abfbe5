"""Run a real cattle_grid 0.5.22 for the end-to-end test, in the current directory.

The directory must hold a cattle_grid.toml (written by the test: broker URL with its own
virtual host, a sqlite file, processor_in_app, the frontend base URL). This script creates the
database schema with SQLAlchemy (cattle_grid's alembic migrations do not run on sqlite), adds
one admin account, and serves the app with uvicorn until it is killed. Migrations are skipped
with create_app(run_migration=False), so no alembic run is needed.

    python serve.py --port PORT --account NAME --password SECRET
"""

import argparse
import asyncio
import logging

logging.disable(logging.WARNING)

import uvicorn
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from cattle_grid import create_app
from cattle_grid.account.account import create_account
from cattle_grid.app import app_globals
from cattle_grid.database import account as _account_tables  # noqa: F401  (registers tables)
from cattle_grid.database import activity_pub_actor as _actor_tables  # noqa: F401
from cattle_grid.database.activity_pub import Base as ActivityPubBase
from cattle_grid.database.auth import Base as AuthBase


async def prepare(account: str, password: str) -> None:
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
    args = parser.parse_args()
    asyncio.run(prepare(args.account, args.password))
    print("prepared", flush=True)
    uvicorn.run(create_app(run_migration=False), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
