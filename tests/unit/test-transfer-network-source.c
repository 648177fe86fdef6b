/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A source across a network is read through nbdkit's nbd plugin with
 * UCH's reconnect filter and nbdkit's rate filter: the URI taken apart into plugin parameters
 * (libnbd inside nbdkit would refuse tls-psk-file in a URI), and the
 * command lines that result. */
#include "util/argv.h"
#include "util/cleanup.h"
#include "tap.h"
#include "transfer/tool-argv.h"

static char *joined;

/* The nbdkit command line for URI, or "(not network)" / "(refused)". */
static const char *network(const char *uri)
{
  _cleanup_argv_ struct argv a = { 0 };
  struct nbd_network_source src;
  struct source_filters f = { .rate_file = "/r/bandwidth", .reconnect_filter = "/l/uch-reconnect-filter.so" };
  int kind = uch_nbd_network_source(uri, &src), r;

  free(joined);
  joined = NULL;
  if (kind > 0)
    return "(not network)";
  if (kind < 0)
    return "(refused)";
  r = nbdkit_filtered_source_argv(&a, &(struct nbdkit_source){
                                      .nbdkit = &src.nbdkit },
                                  &f, "/r/s.sock", "/r/s.pid");
  nbd_network_source_free(&src);
  if (r < 0)
    return "(failed)";
  joined = argv_join(&a);
  return joined;
}

#define HEAD "nbdkit --exit-with-parent -r -f -P /r/s.pid -U /r/s.sock " \
  "--filter=/l/uch-reconnect-filter.so --filter=rate nbd "
#define TAIL " retries=5 retry-delay=1 rate-file=/r/bandwidth"

int main(void)
{
  is_str(network("nbd://10.1.2.3"), HEAD "hostname=10.1.2.3" TAIL,
         "plain host, default port and export");
  is_str(network("nbd://h.example:10810/disk0"),
         HEAD "hostname=h.example port=10810 export=disk0" TAIL,
         "port and export");
  is_str(network("nbds://uch@10.0.0.7:10809/disk0?tls-psk-file=/run/p.psk"),
         HEAD "hostname=10.0.0.7 port=10809 export=disk0 tls=require "
              "tls-username=uch tls-psk=/run/p.psk" TAIL,
         "TLS-PSK: user, psk file as plugin parameters");
  is_str(network("nbds://[fd00::7]:10809/a%20b?tls-psk-file=/p&tls-username=x"),
         HEAD "hostname=fd00::7 port=10809 'export=a b' tls=require "
              "tls-psk=/p tls-username=x" TAIL,
         "IPv6, escaped export name, username from the query");
  is_str(network("nbds://u@h/x?tls-username=v"),
         HEAD "hostname=h export=x tls=require tls-username=v" TAIL,
         "the query's username replaces the URI's, in its place");
  is_str(network("nbd+unix:///?socket=/s"), "(not network)",
         "a Unix socket is read directly");
  is_str(network("nbds://h/x?tls-certificates=/etc/pki"), "(refused)",
         "a query parameter that would be dropped: refused");
  is_str(network("nbd://h:port/x"), "(refused)", "a port that is no number");
  is_str(network("nbd://:10809/x"), "(refused)", "no host");

  _cleanup_argv_ struct argv a = { 0 };
  struct source_filters rate_only = { .rate_file = "/r/bandwidth" };
  nbdkit_filtered_source_argv(&a, &(struct nbdkit_source){
                                    .path = "/dev/vdb" },
                              &rate_only, "/r/s.sock", "/r/s.pid");
  free(joined);
  joined = argv_join(&a);
  is_str(joined, "nbdkit --exit-with-parent -r -f -P /r/s.pid -U /r/s.sock "
         "--filter=rate file file=/dev/vdb rate-file=/r/bandwidth",
         "a local source: the rate filter only");
  free(joined);
  joined = NULL;
  return tap_done();
}
