"""NETCONF over SSH front end of the simulators (RFC 6241, RFC 6242)."""
