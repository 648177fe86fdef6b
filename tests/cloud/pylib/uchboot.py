# SPDX-License-Identifier: GPL-2.0-or-later
# For the cloud tests' openstacksdk scripts (tests/lib/cloud.sh's os_py
# puts tests/cloud on their PYTHONPATH: "from pylib.uchboot import
# boot_from_volumes"): what each of them did by hand, a server booted
# from volumes and waited for.


def boot_from_volumes(conn, name, flavor, network, volumes, wait=True, **server):
    """The server NAME of flavor FLAVOR (a name or a Flavor) booted on the
    network NETWORK (a name or a Network) from VOLUMES (Volumes or ids),
    the first its boot disk, none deleted with the server; SERVER's
    keywords go to create_server as they are (key_name, metadata, tags,
    description).  With WAIT, the server once ACTIVE (3 s polls, 20
    minutes: a TCG boot beside others); else at once, for
    conn.compute.wait_for_server once the caller has booted the others."""
    if isinstance(flavor, str):
        flavor = conn.compute.find_flavor(flavor, ignore_missing=False)
    if isinstance(network, str):
        network = conn.network.find_network(network, ignore_missing=False)
    s = conn.compute.create_server(
        name=name, flavor_id=flavor.id, networks=[{"uuid": network.id}],
        block_device_mapping=[
            {"boot_index": 0 if i == 0 else -1, "uuid": getattr(v, "id", v),
             "source_type": "volume", "destination_type": "volume",
             "delete_on_termination": False}
            for i, v in enumerate(volumes)],
        **server)
    if wait:
        s = conn.compute.wait_for_server(s, wait=1200, interval=3)
    return s
