"""YANG validation of rendered payloads before anything reaches a device (issue 13).

ROM renders each resource role into a NETCONF `<config>` or a gNMI Set document; with
`ROM_YANG_PATH` set, every rendered payload of an order is validated at intake against the YANG
modules its platform implements (`intent.yang.platforms`), and a payload the device's YANG refuses is
a 422 naming the item, the device, the path and the reason; nothing is reserved or pushed.

The library is yangson (pure Python, RFC 7950/7951): the PyPI libyang bindings do not build
against Debian's libyang 2.1.30, and pyang validates modules, not instance data. Payloads are
checked for syntax (schema nodes, types, ranges, patterns, list keys), not semantics (leafrefs,
mandatory nodes, `must`): one resource's payload is a fragment of the device's datastore.
"""
