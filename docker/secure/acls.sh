#!/bin/sh
# The ACLs of a distilflux deployment with the default topic prefix and groups, created by the
# admin. Every service reads every topic and writes dead letters; beyond that the trainer writes
# steps, hypergradients, evaluations and run life cycle, only the meta-optimizer writes
# meta-parameters (and creates the topics), only the monitor writes forecasts.
set -eu
BOOTSTRAP=${BOOTSTRAP:-kafka:9092}
ADMIN_CONFIG=${ADMIN_CONFIG:-/secure/admin.properties}
P=distilflux.
acl() {
  /opt/kafka/bin/kafka-acls.sh --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN_CONFIG" \
    --add "$@"
}
for user in trainer meta-optimizer monitor; do
  acl --allow-principal "User:$user" --operation Read --operation Describe \
    --topic "$P" --resource-pattern-type prefixed
  acl --allow-principal "User:$user" --operation Write --topic "${P}deadletter"
done
for topic in steps hypergradients evaluations runs; do
  acl --allow-principal User:trainer --operation Write --topic "$P$topic"
done
acl --allow-principal User:meta-optimizer --operation Write --topic "${P}metaparams"
acl --allow-principal User:meta-optimizer --operation Create \
  --topic "$P" --resource-pattern-type prefixed
acl --allow-principal User:meta-optimizer --operation Read \
  --group distilflux-meta-optimizer --resource-pattern-type prefixed
acl --allow-principal User:monitor --operation Write --topic "${P}forecasts"
acl --allow-principal User:monitor --operation Read \
  --group distilflux-monitor --resource-pattern-type prefixed
# The monitor serves the consumer lag of its own groups and of the meta-optimizer's.
acl --allow-principal User:monitor --operation Describe \
  --group distilflux- --resource-pattern-type prefixed
