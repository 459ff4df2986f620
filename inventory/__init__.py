"""TMF639 inventory: devices, resources, pools, fingerprints and the audit trail, and the process
`Context` every service above works with. Importing the package registers its tables (and the
outbox's, which inventory writes) so that `core.db.make_engine` creates them."""

from core import outbox  # noqa: F401
from inventory import audit, fingerprints, pool_store, records  # noqa: F401
