# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How the uch_os_* modules reach a cloud (module_utils/uch_openstack.py).
    DOCUMENTATION = r'''
options:
  cloud:
    description: The cloud, a name in C(clouds.yaml) (found as openstacksdk
      finds it, C(OS_CLIENT_CONFIG_FILE) included). Required unless I(auth)
      is given.
    type: str
  auth:
    description: Authentication options (C(auth_url), C(username),
      C(password), C(project_name), C(user_domain_name),
      C(project_domain_name)...), over or instead of I(cloud)'s.
    type: dict
  auth_type:
    description: openstacksdk's auth plugin (C(password) when not given).
    type: str
  region_name:
    description: The region, when the cloud has several.
    type: str
  wait:
    description: Wait for the change to be done (the volume available or
      in-use, the server ACTIVE or SHUTOFF or gone).
    type: bool
    default: true
  timeout:
    description: Seconds to wait, with I(wait).
    type: int
    default: 600
requirements:
  - python3-openstacksdk (Debian 12 ships 0.101)
notes:
  - These modules run where the task runs (C(delegate_to) localhost,
    usually), with the Python that has openstacksdk.
  - They exist because Debian 12's openstack.cloud 1.10.0 refuses Debian
    12's openstacksdk 0.101 and openstack.cloud 2.x needs openstacksdk
    1.0 or later; openstack.cloud 2.x can replace them where the
    distribution's openstacksdk allows it.
'''
