"""The ``cortex`` command line (``cortex serve``, ...)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Cortex: memory for AI agents.", no_args_is_help=True, add_completion=False)

LOOPBACK_NAMES = {"localhost"}


@app.callback()
def _main() -> None:
    """Cortex command line."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``."""
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def key_file(db: Path) -> Path:
    """Where ``serve`` keeps the generated admin key: next to the database."""
    return db.with_name(db.name + ".admin_key")


def load_or_create_key(db: Path) -> tuple[str, bool]:
    """The stored admin key for ``db``, creating (mode 0600) one at first start. Returns (key, created)."""
    path = key_file(db)
    if path.exists():
        return path.read_text("utf-8").strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = "cortex-local|" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key + "\n")
    return key, True


@app.command()
def serve(
    db: Annotated[
        Path | None, typer.Option(help="SQLite database file (default: the per-user data dir).")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 3210,
    admin_key: Annotated[
        str | None, typer.Option(help="Admin key clients must send (Authorization: Convex <key>).")
    ] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Accept calls without a key (loopback hosts only).")
    ] = False,
    allow_purge: Annotated[
        bool,
        typer.Option("--allow-purge", help="Enable the whole-table purgeAll functions (dev/test)."),
    ] = False,
) -> None:
    """Serve the embedded backend over Convex's HTTP API (POST /api/query|mutation|action)."""
    import uvicorn

    from cortex.embedded.engine import Engine, default_path
    from cortex.embedded.server import create_app

    if no_auth and admin_key:
        raise typer.BadParameter("--no-auth and --admin-key exclude each other")
    if no_auth and not is_loopback(host):
        typer.echo(f"refusing --no-auth on non-loopback host {host}: give an admin key", err=True)
        raise typer.Exit(2)
    path = db if db is not None else default_path()
    key: str | None = None
    if not no_auth:
        if admin_key:
            key = admin_key
        else:
            key, created = load_or_create_key(path)
            if created:
                typer.echo(f"admin key (stored in {key_file(path)}): {key}")
            else:
                typer.echo(f"admin key: stored in {key_file(path)}")
    engine = Engine(path, allow_purge=allow_purge)
    typer.echo(
        f"cortex embedded backend on http://{host}:{port} (db {path}, auth {'off' if key is None else 'on'})"
    )
    try:
        uvicorn.run(create_app(engine, admin_key=key), host=host, port=port, log_level="warning")
    finally:
        engine.close()


@app.command()
def demo(
    db_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for the demo's database (default: a new temp folder)."),
    ] = None,
) -> None:
    """A first run, offline: remember a conversation, recall by meaning, watch facts being revised."""
    # One BLAS thread: the local embedding model is small and threads only contend on shared cores.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")
    from cortex.demo import run

    run(db_dir=db_dir)


if __name__ == "__main__":
    app()
