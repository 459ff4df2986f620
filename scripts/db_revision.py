"""Write a new schema revision: what the models declare beyond the newest revision.

    .venv/bin/python scripts/db_revision.py "what changed and why"

Builds a scratch SQLite database at the newest revision, compares it with every model
(Alembic autogenerate) and writes core/migrations/versions/<next>_<slug>.py. Read and edit the
result (data moves, server defaults for new NOT NULL columns) before committing it."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's tests/ package

from core import schema
from core.db import Base
from tests.all_tables import import_all_tables


def main(message: str) -> None:
    import_all_tables()
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        schema.upgrade_to(engine, "head")
        number = len(schema.history()) + 1
        with engine.begin() as conn:
            cfg = schema._config(conn)
            cfg.attributes["metadata"] = Base.metadata
            command.revision(
                cfg,
                message=message,
                autogenerate=True,
                rev_id=f"{number:04d}",
                version_path=str(schema.MIGRATIONS / "versions"),
            )
        engine.dispose()
    for path in (schema.MIGRATIONS / "versions").glob(f"{number:04d}_*.py"):
        text = path.read_text().replace("core.db.UtcDateTime()", "sa.DateTime()")
        path.write_text(text.replace("import core.db\n", ""))
        sys.stdout.write(f"{path}\n")


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or sys.exit(__doc__))
