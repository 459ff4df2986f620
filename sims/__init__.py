"""Device simulators: a datastore engine, a NETCONF server, device models and a fleet host.

Nothing here imports from ``rom``, ``api``, ``drivers`` or ``inventory``.
"""
