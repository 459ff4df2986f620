"""Device simulators: a datastore engine, a NETCONF server, device models and a fleet host.

Nothing here imports from ``rom``, ``api``, ``drivers`` or ``inventory``.
"""

import warnings

# asyncssh still names DSA in its type hints; cryptography warns about it at import (not our keys)
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"asyncssh\.")
