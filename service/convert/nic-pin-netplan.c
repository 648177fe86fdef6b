/* SPDX-License-Identifier: GPL-2.0-or-later */
/* netplan's YAML (convert/nic-pin.h), read with libyaml's document
 * loader: uch-inspect --pin-nics links it, uch-job does not. */
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "convert/nic-pin.h"

static yaml_node_t *node_at(yaml_document_t *doc, int index)
{
  return yaml_document_get_node(doc, index);
}

static bool scalar_is(const yaml_node_t *n, const char *want)
{
  return n && n->type == YAML_SCALAR_NODE &&
         n->data.scalar.length == strlen(want) &&
         memcmp(n->data.scalar.value, want, n->data.scalar.length) == 0;
}

/* MAP's value for KEY; NULL when MAP is no mapping or has no KEY. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
                            const char *key)
{
  if (!map || map->type != YAML_MAPPING_NODE)
    return NULL;
  for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
       p < map->data.mapping.pairs.top; p++)
    if (scalar_is(node_at(doc, p->key), key))
      return node_at(doc, p->value);
  return NULL;
}

static bool scalar_names(const yaml_node_t *n, const char *address)
{
  return n && n->type == YAML_SCALAR_NODE &&
         strlen((const char *)n->data.scalar.value) ==
           n->data.scalar.length &&
         nic_pin_addr_matches((const char *)n->data.scalar.value, address);
}

/* "addresses": ["A/LEN", ...] or [{"A/LEN": {lifetime, label}}, ...] */
static bool addresses_hold(yaml_document_t *doc, yaml_node_t *list,
                           const char *address)
{
  if (!list || list->type != YAML_SEQUENCE_NODE)
    return false;
  for (yaml_node_item_t *i = list->data.sequence.items.start;
       i < list->data.sequence.items.top; i++) {
    yaml_node_t *item = node_at(doc, *i);
    if (scalar_names(item, address))
      return true;
    if (item && item->type == YAML_MAPPING_NODE)
      for (yaml_node_pair_t *p = item->data.mapping.pairs.start;
           p < item->data.mapping.pairs.top; p++)
        if (scalar_names(node_at(doc, p->key), address))
          return true;
  }
  return false;
}

static void set_name(struct nic_pin_found *f, const yaml_node_t *n)
{
  if (n && n->type == YAML_SCALAR_NODE)
    snprintf(f->name, sizeof f->name, "%.*s", (int)n->data.scalar.length,
             (const char *)n->data.scalar.value);
}

/* SECTION (ethernets, bridges...): a mapping of device ids to their
 * settings. */
static bool find_in(yaml_document_t *doc, yaml_node_t *section, bool nic,
                    const char *address, struct nic_pin_found *f)
{
  if (!section || section->type != YAML_MAPPING_NODE)
    return false;
  for (yaml_node_pair_t *p = section->data.mapping.pairs.start;
       p < section->data.mapping.pairs.top; p++) {
    yaml_node_t *dev = node_at(doc, p->value), *match;

    if (!addresses_hold(doc, map_get(doc, dev, "addresses"), address))
      continue;
    f->virtual = !nic;
    if ((match = map_get(doc, dev, "match"))) {
      char one[16];
      f->by_mac = map_get(doc, match, "macaddress") != NULL;
      set_name(f, map_get(doc, match, "name"));
      /* the NIC found by its one name gets set-name's, and netplan's
       * configuration then matches that name */
      if (f->name[0] && nic_pin_iface_name(f->name, one))
        set_name(f, map_get(doc, dev, "set-name"));
    } else
      set_name(f, node_at(doc, p->key));
    return true;
  }
  return false;
}

int nic_pin_netplan(const char *text, size_t len, const char *address,
                    struct nic_pin_found *f, char *err, size_t errlen)
{
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_node_t *network, *nics;
  int found = 0;

  if (!yaml_parser_initialize(&parser)) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
  if (!yaml_parser_load(&parser, &doc)) {
    snprintf(err, errlen, "line %zu: %s", parser.problem_mark.line + 1,
             parser.problem ? parser.problem : "not YAML");
    yaml_parser_delete(&parser);
    return -1;
  }
  network = map_get(&doc, yaml_document_get_root_node(&doc), "network");
  /* the NICs first: a bridge names its ports, never their addresses */
  nics = map_get(&doc, network, "ethernets");
  if (find_in(&doc, nics, true, address, f))
    found = 1;
  else if (network && network->type == YAML_MAPPING_NODE)
    for (yaml_node_pair_t *p = network->data.mapping.pairs.start;
         !found && p < network->data.mapping.pairs.top; p++) {
      yaml_node_t *section = node_at(&doc, p->value);
      if (section != nics && find_in(&doc, section, false, address, f))
        found = 1;
    }
  yaml_document_delete(&doc);
  yaml_parser_delete(&parser);
  return found;
}
